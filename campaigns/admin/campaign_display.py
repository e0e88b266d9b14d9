"""What the campaign pages show: the progress bar, the counters, the message preview, the pre-flight and the cost."""

from dataclasses import asdict
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.models import Campaign
from campaigns.selectors import campaign_status, campaign_status_loaded
from campaigns.services.audience.preflight import STRUCTURALLY_NONE, Preflight, campaign_preflight
from campaigns.services.billing.ledger import campaign_hold_at_enqueue
from campaigns.services.billing.ledger_summary import campaign_credits
from campaigns.services.compliance.message import campaign_size, campaign_text
from campaigns.services.errors import DomainError
from campaigns.sms import compile_template
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


ACTIVE = (Campaign.Status.SENDING, Campaign.Status.SCHEDULED, Campaign.Status.PAUSED)
REPORTS_AWAITED = timedelta(hours=48)  # delivery reports still arrive this long after the last message went
COUNTER_LABELS = {
    "total": "Recipients", "queued": "Waiting to send", "success": "Handed to the carrier",
    "delivered": "Delivered", "processed": "Done (sent, failed or cancelled)", "failed": "Failed",
    "cancelled": "Cancelled, not sent", "held": "Waiting for their sending window",
}


def _campaign_counts(counters: dict) -> dict:
    c, m = counters["campaign"], counters["metrics"]
    return {"total": c["total"], "delivered": c["delivered"], "failed": c["failed"], "queued": m["queued"],
            "cancelled": m["cancelled"], "held": m["held"], "awaiting": max(c["sent"] - c["delivered"], 0),
            "processed": c["processed"], "status": c["status"]}


def percent_text(counters: dict) -> str:
    """What the bar's label says: how far sending got, or for a cancelled campaign how much went before."""
    n = _campaign_counts(counters)
    if n["status"] == Campaign.Status.CANCELLED:
        return f"Cancelled: {n['processed'] - n['cancelled']} of {n['total']} sent"
    return f"{_share(n['processed'], n['total'])}%"


def results_text(counters: dict) -> str:
    """The results in a merchant's words: delivered (and its share), awaiting a report, failed, not sent."""
    n = _campaign_counts(counters)
    if not n["total"]:
        return "Not sent yet."
    parts = [f"Delivered to {n['delivered']} of {n['total']} ({_share(n['delivered'], n['total'])}%)"]
    for key, words in (("awaiting", "sent, awaiting the carrier's delivery report"), ("failed", "failed"),
                       ("held", "waiting for their sending window"), ("queued", "not sent yet"),
                       ("cancelled", "cancelled before sending")):
        if n[key]:
            parts.append(f"{n[key]} {words}")
    return " · ".join(parts) + "."


def state_text(campaign: Campaign) -> str:
    """The campaign's state in words, with its finish or schedule time."""
    label = campaign.get_status_display()
    moment = campaign.finished_at if campaign.status not in ACTIVE else (
        campaign.scheduled_at if campaign.status == Campaign.Status.SCHEDULED else None)
    if moment is None:
        return label
    word = "for" if campaign.status == Campaign.Status.SCHEDULED else "· finished"
    return f"{label} {word} {timezone.localtime(moment).strftime('%d %b %Y %H:%M')}"


def keeps_refreshing(campaign: Campaign, counters: dict) -> bool:
    """Whether the page should keep asking: while sending, scheduled or paused, and after the end while sent
    messages still await their delivery report (for REPORTS_AWAITED)."""
    if campaign.status in ACTIVE:
        return True
    finished = campaign.finished_at
    recent = finished is not None and timezone.now() - finished < REPORTS_AWAITED
    return recent and _campaign_counts(counters)["awaiting"] > 0


def live_status(campaign: Campaign, counters: dict) -> dict:
    """The words the campaign page shows and refreshes (the status view answers them with the counters)."""
    return {"state": state_text(campaign), "percent": percent_text(counters), "results": results_text(counters),
            "refresh": keeps_refreshing(campaign, counters)}


def progress_bar(counters: dict) -> str:
    """A bar of delivered (green), sent not yet delivered (blue), failed (red) and cancelled (grey) parts."""
    c, n = counters["campaign"], _campaign_counts(counters)
    total = c["total"]
    return format_html(
        '<div class="sms-progress" data-campaign="{}" title="{} of {} done" '
        'style="width:160px;height:12px;background:#eee;display:flex;border-radius:3px;overflow:hidden">'
        '<span class="sms-delivered" style="background:#2e7d32;width:{}%"></span>'
        '<span class="sms-sent" style="background:#1976d2;width:{}%"></span>'
        '<span class="sms-failed" style="background:#c62828;width:{}%"></span>'
        '<span class="sms-cancelled" style="background:#9e9e9e;width:{}%"></span></div>'
        '<small class="sms-percent">{}</small>',
        c["id"], c["processed"], total, _share(n["delivered"], total), _share(n["awaiting"], total),
        _share(n["failed"], total), _share(n["cancelled"], total), percent_text(counters),
    )


def counters_table(campaign: Campaign, counters: dict) -> str:
    metrics = {"total": counters["campaign"]["total"], **counters["metrics"]}
    status = live_status(campaign, counters)
    return format_html(
        '<div id="sms-counters" data-refresh="{}"><p><strong class="sms-state">{}</strong></p>{}'
        '<p class="sms-results">{}</p>{}</div>',
        "1" if status["refresh"] else "", status["state"], progress_bar(counters), status["results"],
        format_html("<table>{}</table>", format_html_join(
            "", '<tr><th>{}</th><td data-counter="{}">{}</td></tr>',
            ((COUNTER_LABELS.get(name, name), name, value) for name, value in metrics.items()),
        )),
    )


def size_words(encoding: str, segments: int) -> str:
    """The size of a message in a merchant's words, and why it may cost more than one credit."""
    unicode = encoding != "GSM-7"
    per = "70 characters (67 when split)" if unicode else "160 characters (153 when split)"
    words = f"{segments} text message{'s' if segments != 1 else ''} per contact — 1 credit each, up to {per} each."
    if unicode:
        words += (" It uses an emoji or a character outside the plain SMS alphabet, so each text message holds 70 "
                  "characters instead of 160: replacing it can halve the cost.")
    return words + " Names are filled per contact: a long name can add a text message for that contact."


def message_preview(campaign: Campaign) -> str:
    """The text a contact named Alex Smith would get (opt-out language included), and its size in words: the
    body's quoted size (`campaign_size`: each placeholder counted as 10 characters). What each recipient is
    charged is its own rendered text's segments (the credits say the sum)."""
    try:
        quoted = campaign_size(campaign=campaign, shop=campaign.shop)
    except DomainError as exc:
        return format_html('<span class="errornote">{}</span>', exc.detail)
    text = compile_template(campaign_text(campaign=campaign, shop=campaign.shop)).render_names("Alex", "Smith")
    segments = campaign.segments if campaign.enqueued_at else quoted.segments
    encoding = campaign.encoding if campaign.enqueued_at else quoted.encoding
    return format_html(
        '<pre style="white-space:pre-wrap">{}</pre><p>{} characters for this example. '
        '<span data-quoted-segments="{}">{}</span></p>',
        text, len(text), segments, size_words(encoding, segments),
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


PREFLIGHT_LABELS = {
    "messaged": "Will get the text", "no_consent": "Left out: never agreed to texts",
    "opted_out": "Left out: opted out", "frequency_cap": "Left out: texted too recently (your frequency limit)",
    "held_quiet_hours": "Outside their sending window now (sent when it opens)", "encoding": "Character set",
    "segments": "Text messages per contact", "credits_needed": "Credits needed",
    "credits_available": "Credits available",
}


def preflight_panel(campaign: Campaign) -> str:
    """What an enqueue now would do, each `Preflight` field in words under the API's key (`GET …/preflight`):
    messaged, excluded by reason (not the reasons that cannot happen, STRUCTURALLY_NONE), encoding, segments,
    credits needed and available, a shortfall named; a refusal (e.g. an invalid body) is shown as a message."""
    if campaign.status not in Campaign.EDITABLE:
        return "—"
    plan = preflight_of(campaign)
    if isinstance(plan, DomainError):
        return format_html('<p class="errornote">This campaign cannot be sent yet: {}</p>', plan.detail)
    rows = []
    for name, value in asdict(plan).items():  # the API's fields, in its order and its key
        if name == "excluded":
            rows += [(PREFLIGHT_LABELS[reason], f"excluded.{reason}", n) for reason, n in value.items()
                     if reason not in STRUCTURALLY_NONE]
        else:
            first, *rest = name.split("_")
            rows.append((PREFLIGHT_LABELS[name], first + "".join(word.title() for word in rest), value))
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
    estimate = format_html("{} credits held at enqueue ({} recipients, each message its own segments)", held,
                           recipients)
    return format_html("{}<br>{}", estimate, actual_credits(campaign))


def actual_credits(campaign: Campaign) -> str:
    """What the ledger says the campaign cost: spent (debited less refunded), given back, still held."""
    line = campaign_credits(campaign_id=campaign.id)
    if line is None:
        return "No credits moved yet."
    return format_html(
        '<span class="sms-actual-credits">Actually spent: <strong data-credits="spent">{}</strong> credits '
        '({} debited for messages the carrier took, {} refunded for messages it then failed); {} released '
        'unused; {} still held. <a href="{}?campaign__id__exact={}">Ledger rows</a></span>', line.spent,
        line.debited, line.refunded, line.released, line.still_held,
        reverse("admin:campaigns_credittransaction_changelist"), campaign.id)
