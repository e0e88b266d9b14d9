"""A recipient's held segments brought to the text about to be sent. Recipients are rendered at send time from
their contact's names, so a name changed since enqueue can make the text take more or fewer parts than were
held for it: before the batch's request, the difference is held or released here, and a recipient the shop
can no longer cover is not sent (`cancelled`, error `insufficient_credits`, its credits released). Nothing
is ever debited beyond what was held.

Lock order: shop → recipients → counters (campaigns.services.locks).
"""

import json
import logging

from django.db import connection, transaction

from campaigns.models import Batch, Campaign, CampaignRecipient, Shop
from campaigns.services.billing.ledger import credits_hold, credits_release
from campaigns.services.locks import shop_lock
from campaigns.services.sending.exclusions import recipients_cancel_queued
from metrics.services import deltas_for_transitions, metrics_apply

logger = logging.getLogger(__name__)

INSUFFICIENT = "insufficient_credits"


def _locked_segments(ids) -> dict[int, int]:
    """Recipient id → held segments of the still-queued recipients among `ids`, their rows locked."""
    rows = (
        CampaignRecipient.objects.select_for_update(no_key=True)
        .filter(id__in=list(ids), status=CampaignRecipient.Status.QUEUED)
        .order_by("id")
        .values_list("id", "segments")
    )
    return dict(rows)


def _resize(segments: dict[int, int]) -> None:
    """Store these recipients' new segments, in one statement (PostgreSQL)."""
    if not segments:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                "UPDATE campaigns_campaignrecipient SET segments = %s WHERE id = %s",
                [(count, rid) for rid, count in segments.items()],
            )
            return
        cursor.execute(
            """UPDATE campaigns_campaignrecipient AS r SET segments = v.segments
               FROM json_to_recordset(%s::json) AS v(id bigint, segments integer) WHERE r.id = v.id""",
            [json.dumps([{"id": rid, "segments": count} for rid, count in segments.items()])],
        )


def recipients_reprice(*, campaign: Campaign, batch: Batch, segments: dict[int, int]) -> set[int]:
    """`segments`: recipient id → the segments of the text about to be sent to it, for recipients whose
    held segments differ. One transaction, shop row locked first: fewer segments release the difference;
    more are held while the shop's free credits (with those released) cover them, in recipient id order;
    a recipient they no longer cover becomes `cancelled` (`insufficient_credits`), its held credits
    released and the counters moved. Recipients no longer queued are left alone. Returns the recipient ids
    that must not be sent."""
    common = {"shop_id": campaign.shop_id, "campaign_id": campaign.id}
    with transaction.atomic():
        shop_lock(shop_id=campaign.shop_id)
        free = Shop.objects.filter(id=campaign.shop_id).values_list("credits", flat=True).get()
        held = _locked_segments(segments)
        released = sum(old - segments[rid] for rid, old in held.items() if segments[rid] < old)
        added, resized, dropped = 0, {}, []
        for rid, old in held.items():
            extra = max(segments[rid] - old, 0)
            if added + extra > free + released:
                dropped.append(rid)
                continue
            added += extra
            resized[rid] = segments[rid]
        _resize(resized)
        cancelled = recipients_cancel_queued(ids=dropped, error=INSUFFICIENT)
        credits_release(amount=released + cancelled.segments, batch_id=batch.id, note="repriced", **common)
        credits_hold(amount=added, note="repriced", **common)
        metrics_apply(campaign_id=campaign.id, deltas=deltas_for_transitions({("queued", "cancelled"): cancelled.rows}))
    if dropped:
        logger.warning("campaign %s: %d recipient(s) not sent, their longer names not covered by the shop's credits",
                       campaign.id, len(dropped))
    return set(dropped)
