"""What the provider's answer (or its absence) does to a batch: the answer applied, the batch failed or marked
unknown, or finished without a request. Each function is one transaction that moves recipients, credits and
counters together with the Batch transition (written in batch_states), then checks for completion and
dispatches the campaign's next batches after commit.

Lock order: see campaigns.services.locks: each transaction takes the shop, campaign and batch locks first.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services import locks
from campaigns.services.billing.ledger import credits_debit_held, credits_release
from campaigns.services.billing.moved import NONE, Moved, moved_by
from campaigns.services.sending import dispatch
from campaigns.services.sending.batch_states import (
    batch_mark_failed,
    batch_mark_submitted,
    batch_mark_submitted_empty,
    batch_mark_unknown_state,
)
from campaigns.services.sending.lifecycle import campaign_complete_if_done
from config.observability.metrics import after_commit, observe_messages
from metrics.services import metrics_apply_transitions

logger = logging.getLogger(__name__)

QUEUED = CampaignRecipient.Status.QUEUED


@dataclass(frozen=True)
class Answer:
    """The provider's per-message answer, by recipient id."""

    bulk_id: str
    sent: Sequence[tuple[int, str]]  # (recipient id, message id)
    failed: Sequence[tuple[int, str]]  # (recipient id, reason)


def recipients_set_status(
    *, status: str, ids: Sequence[int], message_ids: Sequence[str | None], errors: Sequence[str], at: datetime
) -> Moved:
    """Move the still-queued recipients among `ids` to `status` (sent, delivered or failed), storing each
    one's message id and error, in one statement. Returns the rows that actually moved and their segments."""
    if not ids:
        return NONE
    sent_at = at if status in ("sent", "delivered") else None
    delivered_at = at if status == "delivered" else None
    if connection.vendor == "postgresql":
        # One JSON parameter: encoding 5000 rows as JSON is several times cheaper than as three arrays.
        sql = """
            UPDATE campaigns_campaignrecipient AS r
            SET status = %s, mitto_message_id = COALESCE(v.msgid, r.mitto_message_id), error = v.error,
                sent_at = COALESCE(%s, r.sent_at), delivered_at = COALESCE(%s, r.delivered_at)
            FROM json_to_recordset(%s::json) AS v(id bigint, msgid text, error text)
            WHERE r.id = v.id AND r.status = 'queued'
            RETURNING r.segments
        """
        rows = orjson.dumps([
            {"id": rid, "msgid": msgid, "error": error}
            for rid, msgid, error in zip(ids, message_ids, errors, strict=True)
        ]).decode()
        return moved_by(sql, [status, sent_at, delivered_at, rows])
    sql = """
        UPDATE campaigns_campaignrecipient
        SET status = %s, mitto_message_id = COALESCE(%s, mitto_message_id), error = %s,
            sent_at = COALESCE(%s, sent_at), delivered_at = COALESCE(%s, delivered_at)
        WHERE id = %s AND status = 'queued'
        RETURNING segments
    """
    moved = NONE
    for rid, msgid, error in zip(ids, message_ids, errors, strict=True):
        moved += moved_by(sql, [status, msgid, error, sent_at, delivered_at, rid])
    return moved


def recipients_settle(
    *, campaign: Campaign, batch_id: int | None, sent: Moved = NONE, failed: Moved = NONE, delivered: Moved = NONE
) -> None:
    """Credits and counters for recipients that left `queued`: spend the held credits of the sent and
    delivered ones (each its own segments), release those of the failed ones."""
    common = {"shop_id": campaign.shop_id, "campaign_id": campaign.id, "batch_id": batch_id}
    credits_debit_held(amount=sent.segments + delivered.segments, **common)
    credits_release(amount=failed.segments, **common)
    metrics_apply_transitions(
        campaign_id=campaign.id,
        transitions={
            ("queued", "sent"): sent.rows, ("queued", "delivered"): delivered.rows, ("queued", "failed"): failed.rows,
        },
    )


def _finish(*, campaign_id: int) -> None:
    campaign_complete_if_done(campaign_id=campaign_id)
    dispatch.batches_dispatch_on_commit(campaign_id=campaign_id)


def batch_apply_answer(*, batch: Batch, answer: Answer) -> None:
    """Accepted recipients `sent` with their message id, rejected ones `failed` with the reason (only those
    still queued move), credits spent for the sent ones and released for the rest, counters moved by the
    rows that changed, the batch `submitted` — one transaction.

    The batch's own recipients are written before the shop, campaign and batch locks are taken (the one
    exception to the lock order, locks.py says why): the shop and campaign rows, which every batch of the
    campaign needs, are then held for the bookkeeping alone, not for the 5000-row UPDATE, so two workers'
    answers are applied side by side instead of one after the other."""
    campaign, now = batch.campaign, timezone.now()
    with transaction.atomic():
        sent = recipients_set_status(
            status="sent", ids=[rid for rid, _ in answer.sent], message_ids=[mid for _, mid in answer.sent],
            errors=[""] * len(answer.sent), at=now,
        )
        failed = recipients_set_status(
            status="failed", ids=[rid for rid, _ in answer.failed], message_ids=[None] * len(answer.failed),
            errors=[reason[:255] for _, reason in answer.failed], at=now,
        )
        locks.campaign_lock(campaign_id=campaign.id, batch_id=batch.id)
        recipients_settle(campaign=campaign, batch_id=batch.id, sent=sent, failed=failed)
        batch_mark_submitted(
            batch_id=batch.id, accepted=len(answer.sent), rejected=len(answer.failed), bulk_id=answer.bulk_id,
            now=now,
        )
        _finish(campaign_id=campaign.id)


def recipients_fail_queued(*, campaign: Campaign, batch: Batch, error: str) -> int:
    """The batch's still-queued recipients `failed` with `error`, their credits released, counters moved."""
    failed = moved_by(
        "UPDATE campaigns_campaignrecipient SET status = %s, error = %s"
        " WHERE campaign_id = %s AND batch_no = %s AND status = %s RETURNING segments",
        [CampaignRecipient.Status.FAILED, error[:255], campaign.id, batch.number, QUEUED],
    )
    recipients_settle(campaign=campaign, batch_id=batch.id, failed=failed)
    after_commit(observe_messages, "failed", failed.rows)
    return failed.rows


def batch_fail(*, batch: Batch, error: str) -> int:
    """Give the batch up: its queued recipients `failed`, nothing debited, the batch `failed`."""
    with transaction.atomic():
        locks.campaign_lock(campaign_id=batch.campaign_id, batch_id=batch.id)
        failed = recipients_fail_queued(campaign=batch.campaign, batch=batch, error=error)
        batch_mark_failed(batch_id=batch.id, error=error)
        _finish(campaign_id=batch.campaign_id)
    logger.warning("batch %s of campaign %s failed (%s): %s recipients", batch.id, batch.campaign_id, error, failed)
    return failed


def batch_mark_unknown(*, batch: Batch, error: str) -> bool:
    """The request went out and no usable answer came: the batch is `unknown`, never sent again; its
    recipients stay queued (and their credits held) until delivery reports or the review deadline settle
    them. The window moves on to the next batches."""
    with transaction.atomic():
        marked = batch_mark_unknown_state(batch_id=batch.id, error=error)
        dispatch.batches_dispatch_on_commit(campaign_id=batch.campaign_id)
    logger.error("batch %s of campaign %s has an unknown outcome: %s", batch.id, batch.campaign_id, error)
    return marked


def batch_finish_empty(*, batch: Batch) -> None:
    """A batch with no queued recipient left is done without a request."""
    with transaction.atomic():
        batch_mark_submitted_empty(batch_id=batch.id)
        _finish(campaign_id=batch.campaign_id)
