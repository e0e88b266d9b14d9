"""Helpers for delivery-report and metrics tests: campaigns whose recipients move the way the send
pipeline moves them (rows and counters together, through metrics_apply_transitions)."""

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from campaigns.tests.support.factories import CampaignFactory
from messaging.reports import DeliveryReport, parse_delivery_reports
from metrics.models import CampaignMetrics
from metrics.services import metrics_apply_transitions, metrics_create


def campaign_with_recipients(n: int, **campaign_fields) -> Campaign:
    """A sending campaign with `n` queued recipients (each of the campaign's segments) and its counters."""
    campaign = CampaignFactory(status=Campaign.Status.SENDING, **campaign_fields)
    CampaignRecipient.objects.bulk_create(
        CampaignRecipient(
            campaign=campaign, phone=f"+3069{campaign.id:03d}{i:05d}", batch_no=i // 100, segments=campaign.segments
        )
        for i in range(n)
    )
    metrics_create(campaign_id=campaign.id, total=n)
    return campaign


def message_id(recipient_id: int) -> str:
    return f"MSG{recipient_id:010d}"


def recipient_ids(campaign: Campaign) -> list[int]:
    return list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True))


def send_results(campaign: Campaign, *, sent=(), failed=()) -> None:
    """Queued recipients accepted (`sent`, with message ids) or rejected (`failed`), counters moved."""
    with transaction.atomic():
        queued = CampaignRecipient.objects.filter(campaign=campaign, status="queued")
        moved_sent = 0
        for rid in queued.filter(id__in=sent).values_list("id", flat=True):
            moved_sent += queued.filter(id=rid).update(
                status="sent", mitto_message_id=message_id(rid), sent_at=timezone.now()
            )
        moved_failed = queued.filter(id__in=failed).update(status="failed", error="Invalid destination")
        metrics_apply_transitions(
            campaign_id=campaign.id, transitions={("queued", "sent"): moved_sent, ("queued", "failed"): moved_failed}
        )


def cancel(campaign: Campaign) -> None:
    """Every queued recipient cancelled, counters moved."""
    with transaction.atomic():
        moved = CampaignRecipient.objects.filter(campaign=campaign, status="queued").update(status="cancelled")
        metrics_apply_transitions(campaign_id=campaign.id, transitions={("queued", "cancelled"): moved})


def report(
    msg_id: str, status: str = "Delivered", *, reference=None, error=None, at: datetime | None = None
) -> DeliveryReport:
    """A report as the parser makes it from Mitto's JSON."""
    item = {"messageId": msg_id, "deliveryStatus": status, "reference": reference, "description": error}
    return parse_delivery_reports(item).reports[0]._replace(updated_at=at)


def counters(campaign: Campaign) -> dict[str, int]:
    row = CampaignMetrics.objects.get(campaign_id=campaign.id)
    return {name: getattr(row, name) for name in ("total", "queued", "sent", "delivered", "failed", "cancelled")}


def counters_from_rows(campaign: Campaign) -> dict[str, int]:
    """What the counters must be, counted from the rows (independently of metrics' own code)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM campaigns_campaignrecipient WHERE campaign_id = %s GROUP BY status",
            [campaign.id],
        )
        by_state = dict(cursor.fetchall())
    return {
        "total": sum(by_state.values()),
        "queued": by_state.get("queued", 0),
        "sent": by_state.get("sent", 0) + by_state.get("delivered", 0),
        "delivered": by_state.get("delivered", 0),
        "failed": by_state.get("failed", 0),
        "cancelled": by_state.get("cancelled", 0),
    }
