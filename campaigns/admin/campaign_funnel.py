"""The campaign page's funnel (issue #16): sent → delivered → clicked → ordered as a small inline SVG bar chart
(nothing loaded from elsewhere), then revenue per currency (click- and receive-attributed), per message and per
credit. The figures are the API's report (`campaigns.services.links.report.campaign_report`), so the page and
`GET /api/v1/campaigns/{id}/report` never disagree."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from campaigns.models import Campaign
from campaigns.services.links.report import campaign_report

BAR_WIDTH, BAR_HEIGHT, GAP, LABEL_WIDTH = 240, 18, 6, 80
STEPS = (("sent", "Sent", "#1976d2"), ("delivered", "Delivered", "#2e7d32"), ("clicked", "Clicked", "#f9a825"),
         ("ordered", "Ordered", "#6a1b9a"))


def _steps(report: dict) -> dict[str, int]:
    return {"sent": report["sent"], "delivered": report["delivered"], "clicked": report["uniqueClicks"],
            "ordered": report["orders"]["total"]}


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"


def funnel_chart(report: dict) -> str:
    """One bar per step, its length its share of the messages sent, the count and share written beside it."""
    counts = _steps(report)
    sent = counts["sent"]
    rows = []
    for index, (key, label, colour) in enumerate(STEPS):
        y = index * (BAR_HEIGHT + GAP)
        width = round(BAR_WIDTH * counts[key] / sent, 1) if sent else 0
        rows.append((y + 13, label, LABEL_WIDTH, y, max(width, 1 if counts[key] else 0), BAR_HEIGHT, colour, key,
                     LABEL_WIDTH + BAR_WIDTH + 8, y + 13, counts[key], _share(counts[key], sent)))
    height = len(STEPS) * (BAR_HEIGHT + GAP)
    bars = format_html_join(
        "", '<text x="0" y="{}">{}</text><rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-step="{}"/>'
            '<text x="{}" y="{}">{} ({})</text>', rows)
    return format_html(
        '<svg class="sms-funnel" role="img" aria-label="Sent, delivered, clicked, ordered" width="{}" height="{}" '
        'viewBox="0 0 {} {}" style="font:12px sans-serif;fill:currentColor">{}</svg>',
        LABEL_WIDTH + BAR_WIDTH + 110, height, LABEL_WIDTH + BAR_WIDTH + 110, height, bars)


def _per(amount: Decimal, count: int) -> str:
    return str((amount / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) if count else "—"


def revenue_rows(report: dict) -> str:
    """Per currency: the revenue (after a click, after receiving only), per message sent and per credit used."""
    rows = [(currency, amounts["total"], amounts["click"], amounts["receive"],
             _per(Decimal(amounts["total"]), report["sent"]), _per(Decimal(amounts["total"]), report["creditsUsed"]))
            for currency, amounts in report["revenue"].items()]
    if not rows:
        return mark_safe("<p>No order credited to this campaign yet.</p>")
    return format_html(
        '<table class="sms-revenue"><tr><th>Currency</th><th>Revenue</th><th>After a click</th>'
        '<th>After receiving only</th><th>Per message</th><th>Per credit</th></tr>{}</table>',
        format_html_join("", '<tr><td>{}</td><td data-revenue="total">{}</td><td data-revenue="click">{}</td>'
                             '<td data-revenue="receive">{}</td><td data-revenue="per-message">{}</td>'
                             '<td data-revenue="per-credit">{}</td></tr>', rows))


def funnel_panel(campaign: Campaign) -> str:
    """The funnel of an enqueued campaign (a draft has none): chart, clicks in words, revenue table."""
    if campaign.enqueued_at is None:
        return "—"
    report = campaign_report(shop_id=campaign.shop_id, campaign_id=campaign.id)
    if report is None:
        return "—"
    orders = report["orders"]
    words = format_html(
        '<p class="sms-funnel-words">{} clicks by {} people ({} of the messages sent); {} more by link previewers '
        'and scanners, not counted. {} orders: {} after a click, {} after receiving the message only. '
        '{} credits used.</p>',
        report["clicks"], report["uniqueClicks"], _share(report["uniqueClicks"], report["sent"]),
        report["botClicks"], orders["total"], orders["click"], orders["receive"], report["creditsUsed"])
    return format_html("{}{}{}", funnel_chart(report), words, revenue_rows(report))
