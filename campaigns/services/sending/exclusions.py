"""What the send-time checks exclude from a batch, in one transaction: recipients whose contacts opted out
since enqueue are cancelled (credits released), those in quiet hours are held (out of their batch, still
queued, counted in `held`) until `held_release` puts them into new batches.

Lock order: see campaigns.services.locks (the shop first: releasing credits updates its row).
"""

import json
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services import locks
from campaigns.services.billing.ledger import credits_release
from campaigns.services.billing.moved import NONE, Moved, moved_by
from config.observability.metrics import after_commit, observe_messages
from metrics.services import deltas_for_transitions, metrics_apply

OPTED_OUT = "opted_out"
HELD = CampaignRecipient.HELD_BATCH_NO


def recipients_cancel_queued(*, ids: Sequence[int], error: str) -> Moved:
    """Move the still-queued recipients among `ids` to `cancelled` with `error`, in one statement; the rows
    moved and their segments."""
    if not ids:
        return NONE
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        UPDATE campaigns_campaignrecipient SET status = 'cancelled', error = %s
        WHERE id IN ({marks}) AND status = 'queued' RETURNING segments
    """
    return moved_by(sql, [error, *ids])


def recipients_hold(*, held: list[tuple[int, datetime]]) -> int:
    """Hold these queued recipients of a batch until their times: out of their batch (batch_no HELD) — one
    UPDATE, in the caller's transaction, which moves the `held` counter by the returned count."""
    if not held:
        return 0
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE campaigns_campaignrecipient SET batch_no = %s, held_until = %s WHERE id = %s"
                " AND status = 'queued'", [(HELD, until, rid) for rid, until in held],
            )
        return CampaignRecipient.objects.filter(id__in=[rid for rid, _ in held], batch_no=HELD).count()
    rows = json.dumps([{"id": rid, "until": until.isoformat()} for rid, until in held])
    sql = """
        UPDATE campaigns_campaignrecipient AS r SET batch_no = %s, held_until = v.until
        FROM json_to_recordset(%s::json) AS v(id bigint, until timestamptz)
        WHERE r.id = v.id AND r.status = 'queued'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [HELD, rows])
        return cursor.rowcount


def recipients_exclude(
    *, campaign: Campaign, batch: Batch, opted_out: list[int], held: list[tuple[int, datetime]]
) -> tuple[int, int]:
    """What the send-time checks found, in one transaction: recipients whose contacts opted out since
    enqueue become `cancelled` with error `opted_out` and their held credits are released; recipients in
    quiet hours are held (out of the batch, still queued, counted in `held`). A recipient no longer queued
    is left alone. Returns (cancelled, held)."""
    if not opted_out and not held:
        return 0, 0
    with transaction.atomic():
        locks.shop_lock(shop_id=campaign.shop_id)
        cancelled = recipients_cancel_queued(ids=opted_out, error=OPTED_OUT)
        moved = recipients_hold(held=held)
        credits_release(
            shop_id=campaign.shop_id, amount=cancelled.segments, campaign_id=campaign.id, batch_id=batch.id,
            note=OPTED_OUT,
        )
        deltas = deltas_for_transitions({("queued", "cancelled"): cancelled.rows})
        metrics_apply(campaign_id=campaign.id, deltas={**deltas, "held": moved})
        after_commit(observe_messages, "cancelled", cancelled.rows)
    return cancelled.rows, moved
