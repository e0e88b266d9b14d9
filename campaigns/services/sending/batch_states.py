"""Every Batch transition, and nothing else (the recipients, credits and counters that move with some of them are
moved by their callers, in the same transaction):

    created → queued → (dispatched) → submitting → submitted | failed | unknown;  queued → cancelled

- created: `batches_create_numbered` / `batches_create_counted` (enqueue), `batches_create_from` (released
  held recipients).
- dispatched / undispatched: `batches_mark_dispatched` (a window claimed, sending/dispatch.py),
  `batches_undispatch` (a broker message never sent, a paused campaign's batch put back),
  `batches_lost_undispatch` (beat: messages lost).
- claimed: `batch_claim` (`queued → submitting`, one more attempt, committed before the request).
- requeued / parked: `batch_requeue` (a retry), `batch_park` (our own limiter waited too long).
- submitted: `batch_mark_submitted` (the answer applied), `batch_mark_submitted_empty` (no recipient left).
- failed: `batch_mark_failed`; unknown: `batch_mark_unknown_state`, `batches_submitting_expire` (beat);
  cancelled: `batches_cancel_queued`.

Every transition is a conditional UPDATE on the state it leaves, so a duplicate run changes nothing. The
final ones (submitted, failed, unknown, cancelled) are counted in `shopsms_batches_final_total` once their
transaction commits.
Lock order: see campaigns.services.locks.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns.models import Batch, CampaignRecipient
from config.observability.metrics import after_commit, observe_batch_final

UNFINISHED_BATCH = (Batch.Status.QUEUED, Batch.Status.SUBMITTING)


def batches_create_counted(*, campaign_id: int, now: datetime) -> int:
    """One queued Batch row per batch number of the campaign's queued recipients, sized by its row count
    (recipients held for quiet hours are in no batch)."""
    return batches_create_from(campaign_id=campaign_id, first=0, now=now)


def batches_create_from(*, campaign_id: int, first: int, now: datetime) -> int:
    """Queued Batch rows for the campaign's queued recipients numbered `first` and above (released ones)."""
    sql = """
        INSERT INTO campaigns_batch
            (campaign_id, number, size, status, attempts, provider_bulk_id, accepted, rejected, error,
             created_at, updated_at)
        SELECT campaign_id, batch_no, count(*), 'queued', 0, '', 0, 0, '', %s, %s
        FROM campaigns_campaignrecipient WHERE campaign_id = %s AND status = 'queued' AND batch_no >= %s
        GROUP BY campaign_id, batch_no
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, campaign_id, first])
        return cursor.rowcount


def batches_create_numbered(*, campaign_id: int, recipients: int, batch_size: int, now: datetime) -> int:
    """Batch rows 0 … ⌈recipients / batch_size⌉ - 1, all full but the last: right when the recipients were
    numbered 0 … recipients - 1 without gaps (no row of the INSERT was skipped)."""
    count = -(-recipients // batch_size)
    sql = """
        INSERT INTO campaigns_batch
            (campaign_id, number, size, status, attempts, provider_bulk_id, accepted, rejected, error,
             created_at, updated_at)
        SELECT %s, n, LEAST(%s, %s - n * %s), 'queued', 0, '', 0, 0, '', %s, %s FROM generate_series(0, %s) AS n
    """
    if connection.vendor != "postgresql":
        return batches_create_counted(campaign_id=campaign_id, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, batch_size, recipients, batch_size, now, now, count - 1])
        return cursor.rowcount


def batches_mark_dispatched(*, batch_ids: list[int], now: datetime) -> None:
    """These batches are in the broker (or about to be): they count in their campaign's window."""
    Batch.objects.filter(id__in=batch_ids).update(dispatched_at=now)


def batches_undispatch(*, batch_ids: list[int]) -> int:
    """Batches whose broker message was never sent (or was lost), or whose campaign is paused, go back to
    undispatched, so they leave the campaign's window and beat (or resume) dispatches them when due. Only
    batches still queued move."""
    return Batch.objects.filter(id__in=batch_ids, status=Batch.Status.QUEUED).update(
        dispatched_at=None, updated_at=timezone.now()
    )


def batches_lost_undispatch(*, stale_before: datetime | None, now: datetime) -> int:
    """Queued batches dispatched before `stale_before` (whose retry was not due after it either) go back to
    undispatched: their broker message was lost. `stale_before` None: every dispatched queued batch (the broker
    lost its data)."""
    lost = Batch.objects.filter(status=Batch.Status.QUEUED, dispatched_at__isnull=False)
    if stale_before is not None:
        lost = lost.filter(dispatched_at__lt=stale_before).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=stale_before)
        )
    return lost.update(dispatched_at=None, updated_at=now)


def batch_claim(*, batch: Batch) -> bool:
    """`queued → submitting` with one more attempt, committed before the request; False when another
    delivery of the task got there first. The recipients' retry_count follows the attempts."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Batch.objects.filter(id=batch.id, status=Batch.Status.QUEUED).update(
            status=Batch.Status.SUBMITTING, attempts=F("attempts") + 1, claimed_at=now, updated_at=now
        )
        if not claimed:
            return False
        batch.refresh_from_db(fields=["attempts", "status", "claimed_at"])
        if batch.attempts > 1:
            CampaignRecipient.objects.filter(
                campaign_id=batch.campaign_id, batch_no=batch.number, status=CampaignRecipient.Status.QUEUED
            ).update(retry_count=batch.attempts - 1)
    return True


def batch_park(*, batch_id: int, delay_s: float) -> None:
    """A queued batch leaves the broker (undispatched) until `delay_s` from now, for beat to dispatch."""
    Batch.objects.filter(id=batch_id, status=Batch.Status.QUEUED).update(
        dispatched_at=None, next_attempt_at=timezone.now() + timedelta(seconds=delay_s)
    )


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


def batch_mark_submitted(*, batch_id: int, accepted: int, rejected: int, bulk_id: str, now: datetime) -> None:
    """`submitting | unknown → submitted` with the provider's answer summary."""
    moved = Batch.objects.filter(id=batch_id, status__in=(Batch.Status.SUBMITTING, Batch.Status.UNKNOWN)).update(
        status=Batch.Status.SUBMITTED, accepted=accepted, rejected=rejected, provider_bulk_id=bulk_id[:64],
        submitted_at=now, error="", updated_at=now,
    )
    after_commit(observe_batch_final, "submitted", moved)


def batch_mark_submitted_empty(*, batch_id: int) -> None:
    """`queued → submitted` without a request: no queued recipient was left."""
    moved = Batch.objects.filter(id=batch_id, status=Batch.Status.QUEUED).update(
        status=Batch.Status.SUBMITTED, submitted_at=timezone.now(), updated_at=timezone.now()
    )
    after_commit(observe_batch_final, "submitted", moved)


def batch_mark_failed(*, batch_id: int, error: str) -> None:
    """Any state but `submitted` → `failed` with `error`."""
    moved = Batch.objects.filter(id=batch_id).exclude(status__in=(Batch.Status.SUBMITTED, Batch.Status.FAILED)).update(
        status=Batch.Status.FAILED, error=error[:255], updated_at=timezone.now()
    )
    after_commit(observe_batch_final, "failed", moved)


def batch_mark_unknown_state(*, batch_id: int, error: str) -> bool:
    """`submitting → unknown`: the request went out and no usable answer came; never sent again."""
    moved = Batch.objects.filter(id=batch_id, status=Batch.Status.SUBMITTING).update(
        status=Batch.Status.UNKNOWN, error=error[:255], updated_at=timezone.now()
    )
    after_commit(observe_batch_final, "unknown", moved)
    return bool(moved)


def batches_submitting_expire(*, claimed_before: datetime, now: datetime) -> int:
    """Beat: batches `submitting` since before `claimed_before` (their worker died; the request may have gone
    out) become `unknown`, never resent."""
    moved = Batch.objects.filter(status=Batch.Status.SUBMITTING, claimed_at__lt=claimed_before).update(
        status=Batch.Status.UNKNOWN, error="no answer before the submit deadline (worker lost?)", updated_at=now
    )
    after_commit(observe_batch_final, "unknown", moved)
    return moved


def batches_cancel_queued(*, campaign_id: int) -> int:
    """Every queued batch of the campaign → `cancelled` (a batch already submitting finishes normally)."""
    moved = Batch.objects.filter(campaign_id=campaign_id, status=Batch.Status.QUEUED).update(
        status=Batch.Status.CANCELLED, updated_at=timezone.now()
    )
    after_commit(observe_batch_final, "cancelled", moved)
    return moved
