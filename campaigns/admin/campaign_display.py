"""What the campaign pages show: the progress bar, the counters, the message preview, the pre-flight and the cost."""

from dataclasses import asdict

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from campaigns.models import Campaign
from campaigns.selectors import campaign_status, campaign_status_loaded
from campaigns.services.audience.preflight import Preflight, campaign_preflight
from campaigns.services.billing.ledger import campaign_hold_at_enqueue
from campaigns.services.compliance.message import campaign_size, campaign_text
from campaigns.services.errors import DomainError
from campaigns.sms import compile_template, measure
from metrics.models import CampaignMetrics


def counters_of(campaign: Campaign, *, fresh: bool = True) -> dict:
    """The API's status payload for the campaign (campaigns.selectors.campaign_status); not `fresh`: the
    counters row already joined to the campaign (the list page), so no query per row."""
    if fresh:
        return campaign_status(shop_id=campaign.shop_id, campaign_id=campaign.id)
    return campaign_status_loaded(campaign)


_PAUSED_BECAUSE = {
    Campaign.PausedReason.MERCHANT: "paused by the merchant",
    Campaign.PausedReason.SHOP_INACTIVE: "paused: the shop is suspended",
}


def status_with_reason(campaign: Campaign) -> str:
    """The campaign's status; a paused one says why (the merchant, or its shop suspended)."""
    if campaign.status == Campaign.Status.PAUSED and campaign.paused_reason:
        return _PAUSED_BECAUSE.get(campaign.paused_reason, f"paused ({campaign.paused_reason})")
    return campaign.get_status_display()


def _share(part: int, total: int) -> float:
    return round(100 * part / total, 1) if total else 0.0


def progress_bar(counters: dict) -> str:
    """A bar of delivered (green), sent not yet delivered (blue) and failed (red) parts of the total."""
    c = counters["campaign"]
    total, delivered, failed = c["total"], c["delivered"], c["failed"]
    sent_only = max(c["sent"] - delivered, 0)
    done = _share(c["processed"], total)
    return format_html(
        '<div class="sms-progress" data-campaign="{}" title="{} of {} processed" '
        'style="width:160px;height:12px;background:#eee;display:flex;border-radius:3px;overflow:hidden">'
        '<span class="sms-delivered" style="background:#2e7d32;width:{}%"></span>'
        '<span class="sms-sent" style="background:#1976d2;width:{}%"></span>'
        '<span class="sms-failed" style="background:#c62828;width:{}%"></span></div>'
        '<small class="sms-percent">{}%</small>',
        c["id"], c["processed"], total, _share(delivered, total), _share(sent_only, total),
        _share(failed, total), done,
    )


def counters_table(counters: dict) -> str:
    metrics = {"total": counters["campaign"]["total"], **counters["metrics"]}
    return format_html(
        '<div id="sms-counters">{}{}</div>',
        progress_bar(counters),
        format_html("<table>{}</table>", format_html_join(
            "", '<tr><th>{}</th><td data-counter="{}">{}</td></tr>',
            ((name, name, value) for name, value in metrics.items()),
        )),
    )


def message_preview(campaign: Campaign) -> str:
    """The text a contact named Alex Smith would get (opt-out language included), with its encoding and
    segments, and the body's quoted size (`campaign_size`: each placeholder counted as 10 characters). What
    each recipient is charged is its own rendered text's segments (the estimated cost says the sum)."""
    try:
        quoted = campaign_size(campaign=campaign, shop=campaign.shop)
    except DomainError as exc:
        return format_html('<span class="errornote">{}</span>', exc.detail)
    text = compile_template(campaign_text(campaign=campaign, shop=campaign.shop)).render_names("Alex", "Smith")
    segments = campaign.segments if campaign.enqueued_at else quoted.segments
    size = measure(text)
    return format_html(
        '<pre style="white-space:pre-wrap">{}</pre><p>{} · {} segment(s) for this example · '
        '<span data-quoted-segments="{}">{} segment(s) quoted for the body (names as 10 characters each; '
        'each message is charged its own rendered length)</span></p>',
        text, size.encoding, size.segments, segments, segments,
    )


def preflight_of(campaign: Campaign) -> Preflight | DomainError:
    """`campaign_preflight` of a campaign not yet enqueued, or its refusal; computed once per page (the
    pre-flight panel and the cost share it)."""
    if "_sms_preflight" not in campaign.__dict__:
        try:
            campaign._sms_preflight = campaign_preflight(shop=campaign.shop, campaign_id=campaign.id)
        except DomainError as exc:
            campaign._sms_preflight = exc
    return campaign._sms_preflight


def preflight_panel(campaign: Campaign) -> str:
    """What an enqueue now would do, each `Preflight` field under the API's key (`GET …/preflight`): messaged,
    excluded by reason, encoding, segments, credits needed and available, a shortfall named; a refusal (e.g. an
    invalid body) is shown as a message."""
    if campaign.status not in Campaign.EDITABLE:
        return "—"
    plan = preflight_of(campaign)
    if isinstance(plan, DomainError):
        return format_html('<p class="errornote">Pre-flight refused ({}): {}</p>', plan.reason, plan.detail)
    rows = []
    for name, value in asdict(plan).items():  # every field the API answers, in its order and its key
        if name == "excluded":
            rows += [(f"excluded: {reason.replace('_', ' ')}", f"excluded.{reason}", n) for reason, n in value.items()]
        else:
            first, *rest = name.split("_")
            rows.append((name.replace("_", " "), first + "".join(word.title() for word in rest), value))
    table = format_html('<table class="sms-preflight">{}</table>', format_html_join(
        "", '<tr><th>{}</th><td data-preflight="{}">{}</td></tr>', rows))
    if plan.credits_needed <= plan.credits_available:
        return table
    short = plan.credits_needed - plan.credits_available
    return format_html('{}<p class="errornote" data-low-balance>Not enough credits: {} more needed. '
                       '<a href="{}">Buy credits</a></p>', table, short, reverse("admin:campaigns_creditpurchase_buy"))


def estimated_cost(campaign: Campaign) -> str:
    """Credits: what enqueue held (the sum of every recipient's own segments) once enqueued, else what the
    pre-flight says an enqueue now would hold (the same audience query and the same per-recipient pricing
    enqueue uses, opt-out language and frequency cap included)."""
    if not campaign.enqueued_at:
        plan = preflight_of(campaign)
        if isinstance(plan, DomainError):
            return "—"
        return format_html("{} credits ({} eligible contacts now, each message its own segments)",
                           plan.credits_needed, plan.messaged)
    recipients = CampaignMetrics.objects.filter(campaign_id=campaign.id).values_list("total", flat=True).first() or 0
    held = campaign_hold_at_enqueue(campaign_id=campaign.id)
    return format_html("{} credits held at enqueue ({} recipients, each message its own segments)", held, recipients)
