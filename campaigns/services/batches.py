"""What happens to a batch after its bulk request: the answer applied, a retry scheduled, the batch failed
or marked unknown. Each function is one transaction that moves recipients, credits and counters together,
then checks for completion and dispatches the campaign's next batches after commit.

Lock order (as everywhere in the send path): recipients of this batch → shop → counters → batch → campaign.
"""

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services import sql
from campaigns.services.credits import credits_debit_held, credits_release
from campaigns.services.dispatch import batches_dispatch_on_commit
from campaigns.services.lifecycle import campaign_complete_if_done
from metrics.services import metrics_apply_transitions

logger = logging.getLogger(__name__)

QUEUED = CampaignRecipient.Status.QUEUED


@dataclass(frozen=True)
class Answer:
    """The provider's per-message answer, by recipient id."""

    bulk_id: str
    sent: Sequence[tuple[int, str]]  # (recipient id, message id)
    failed: Sequence[tuple[int, str]]  # (recipient id, reason)


def recipients_settle(
    *, campaign: Campaign, batch_id: int | None, sent: int, failed: int, delivered: int = 0
) -> None:
    """Credits and counters for recipients that left `queued`: spend the held credits of the sent and
    delivered ones, release those of the failed ones."""
    segments = campaign.segments
    common = {"shop_id": campaign.shop_id, "campaign_id": campaign.id, "batch_id": batch_id}
    credits_debit_held(amount=(sent + delivered) * segments, **common)
    credits_release(amount=failed * segments, **common)
    metrics_apply_transitions(
        campaign_id=campaign.id,
        transitions={("queued", "sent"): sent, ("queued", "delivered"): delivered, ("queued", "failed"): failed},
    )


def _finish(*, campaign_id: int) -> None:
    campaign_complete_if_done(campaign_id=campaign_id)
    batches_dispatch_on_commit(campaign_id=campaign_id)


def batch_apply_answer(*, batch: Batch, answer: Answer) -> None:
    """Accepted recipients `sent` with their message id, rejected ones `failed` with the reason (only those
    still queued move), credits spent for the sent ones and released for the rest, counters moved by the
    rows that changed, the batch `submitted` — one transaction."""
    campaign, now = batch.campaign, timezone.now()
    with transaction.atomic():
        sent = sql.recipients_set_status(
            status="sent", ids=[rid for rid, _ in answer.sent], message_ids=[mid for _, mid in answer.sent],
            errors=[""] * len(answer.sent), at=now,
        )
        failed = sql.recipients_set_status(
            status="failed", ids=[rid for rid, _ in answer.failed], message_ids=[None] * len(answer.failed),
            errors=[reason[:255] for _, reason in answer.failed], at=now,
        )
        recipients_settle(campaign=campaign, batch_id=batch.id, sent=sent, failed=failed)
        Batch.objects.filter(id=batch.id, status__in=(Batch.Status.SUBMITTING, Batch.Status.UNKNOWN)).update(
            status=Batch.Status.SUBMITTED, accepted=len(answer.sent), rejected=len(answer.failed),
            provider_bulk_id=answer.bulk_id[:64], submitted_at=now, error="", updated_at=now,
        )
        _finish(campaign_id=campaign.id)


def recipients_fail_queued(*, campaign: Campaign, batch: Batch, error: str) -> int:
    """The batch's still-queued recipients `failed` with `error`, their credits released, counters moved."""
    failed = CampaignRecipient.objects.filter(campaign_id=campaign.id, batch_no=batch.number, status=QUEUED).update(
        status=CampaignRecipient.Status.FAILED, error=error[:255]
    )
    recipients_settle(campaign=campaign, batch_id=batch.id, sent=0, failed=failed)
    return failed


def batch_fail(*, batch: Batch, error: str) -> int:
    """Give the batch up: its queued recipients `failed`, nothing debited, the batch `failed`."""
    with transaction.atomic():
        failed = recipients_fail_queued(campaign=batch.campaign, batch=batch, error=error)
        Batch.objects.filter(id=batch.id).exclude(status=Batch.Status.SUBMITTED).update(
            status=Batch.Status.FAILED, error=error[:255], updated_at=timezone.now()
        )
        _finish(campaign_id=batch.campaign_id)
    logger.warning("batch %s of campaign %s failed (%s): %s recipients", batch.id, batch.campaign_id, error, failed)
    return failed


def batch_mark_unknown(*, batch: Batch, error: str) -> bool:
    """The request went out and no usable answer came: the batch is `unknown`, never sent again; its
    recipients stay queued (and their credits held) until delivery reports or the review deadline settle
    them. The window moves on to the next batches."""
    with transaction.atomic():
        marked = Batch.objects.filter(id=batch.id, status=Batch.Status.SUBMITTING).update(
            status=Batch.Status.UNKNOWN, error=error[:255], updated_at=timezone.now()
        )
        batches_dispatch_on_commit(campaign_id=batch.campaign_id)
    logger.error("batch %s of campaign %s has an unknown outcome: %s", batch.id, batch.campaign_id, error)
    return bool(marked)


def retry_delay(*, attempts: int, retry_after_s: float | None = None) -> float:
    """Seconds until the next attempt: the provider's Retry-After when it gave one, else exponential
    backoff from SEND_RETRY_BASE_DELAY_S; plus jitter so retries of many batches spread out."""
    if retry_after_s:
        return retry_after_s + random.uniform(0, 1 + retry_after_s / 10)
    backoff = settings.SEND_RETRY_BASE_DELAY_S * 2 ** max(attempts - 1, 0)
    return min(backoff, settings.SEND_RETRY_MAX_DELAY_S) * random.uniform(0.5, 1.0)


def batch_requeue(*, batch: Batch, delay_s: float, error: str) -> bool:
    """Put a submitting batch back to `queued` for another attempt in `delay_s`. Returns True when the
    caller should retry it itself (the delay is short enough for the broker); a longer wait is parked on
    `next_attempt_at` with the batch undispatched, for beat to dispatch when due."""
    parked = delay_s > settings.SEND_RETRY_MAX_DELAY_S
    now = timezone.now()
    Batch.objects.filter(id=batch.id, status=Batch.Status.SUBMITTING).update(
        status=Batch.Status.QUEUED, next_attempt_at=now + timedelta(seconds=delay_s), error=error[:255],
        dispatched_at=None if parked else F("dispatched_at"), updated_at=now,
    )
    return not parked


def batch_finish_empty(*, batch: Batch) -> None:
    """A batch with no queued recipient left is done without a request."""
    with transaction.atomic():
        Batch.objects.filter(id=batch.id, status=Batch.Status.QUEUED).update(
            status=Batch.Status.SUBMITTED, submitted_at=timezone.now(), updated_at=timezone.now()
        )
        _finish(campaign_id=batch.campaign_id)
