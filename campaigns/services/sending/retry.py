"""The retry policy of the send path, in one place:

- what is retried: the provider's 429 and 5xx and a refused connection go back to `queued` for at most
  QUEUE_ATTEMPTS attempts in all (counted on the Batch row, so a redelivered message never resets them); any
  other refusal fails the batch at once; an answer that never came is `unknown`, never retried
  (sending/batch_send.py decides which error is which);
- when: `retry_delay` (the provider's Retry-After, else capped exponential backoff, with jitter); a wait longer
  than SEND_RETRY_MAX_DELAY_S is parked on the Batch row for beat instead of the broker;
- our own rate limiter: wait (no attempt used) up to LIMITER_WAITS_MAX times, then park for LIMITER_PARK_S;
- how a task runs again: `task_retry_later` (a broker countdown on a worker, a wait in-process when eager).
"""

import random
import time
from dataclasses import dataclass

from celery.exceptions import Reject
from django.conf import settings

from campaigns.models import Batch
from campaigns.services.sending.apply import batch_fail
from campaigns.services.sending.batch_states import batch_park, batch_requeue
from config.observability.metrics import observe_retry
from messaging import ratelimit

# How often one task may wait for our own rate limiter before its batch is parked for beat instead.
LIMITER_WAITS_MAX = 600
LIMITER_PARK_S = 30


@dataclass(frozen=True)
class SendResult:
    """What became of one run of a batch task. `retry_in_s` set: run the task again after that long
    (`limiter_wait`: the wait was for our own limiter and costs no attempt)."""

    status: str
    retry_in_s: float | None = None
    limiter_wait: bool = False


def retry_delay(*, attempts: int, retry_after_s: float | None = None) -> float:
    """Seconds until the next attempt: the provider's Retry-After when it gave one, else exponential
    backoff from SEND_RETRY_BASE_DELAY_S; plus jitter so retries of many batches spread out."""
    if retry_after_s:
        return retry_after_s + random.uniform(0, 1 + retry_after_s / 10)
    backoff = settings.SEND_RETRY_BASE_DELAY_S * 2 ** max(attempts - 1, 0)
    return min(backoff, settings.SEND_RETRY_MAX_DELAY_S) * random.uniform(0.5, 1.0)


def limiter_refused(*, batch: Batch, waits: int, decision: ratelimit.Decision) -> SendResult:
    """Our limiter refused the batch's request: wait its retry-after (no attempt used), or after
    LIMITER_WAITS_MAX waits park the batch for beat."""
    if waits < LIMITER_WAITS_MAX:
        return SendResult("waiting", retry_in_s=decision.retry_after_s + random.uniform(0, 0.05), limiter_wait=True)
    batch_park(batch_id=batch.id, delay_s=LIMITER_PARK_S)
    return SendResult("parked")


def batch_retry_or_fail(
    *, batch: Batch, error: str, retry_after_s: float | None = None, reason: str = "transient"
) -> SendResult:
    """A retryable error of a claimed batch: fail it after its last attempt, else requeue it after
    `retry_delay` (retried by the task, or parked for beat when the wait is long), counted as a retry for
    `reason` (`rate_limited` or `transient`)."""
    if batch.attempts >= settings.QUEUE_ATTEMPTS:
        batch_fail(batch=batch, error=f"{error} (after {batch.attempts} attempts)")
        return SendResult("failed")
    observe_retry(reason)
    delay = retry_delay(attempts=batch.attempts, retry_after_s=retry_after_s)
    if batch_requeue(batch=batch, delay_s=delay, error=error):
        return SendResult("retry", retry_in_s=delay)
    return SendResult("parked")


def task_retry_later(task, delay_s: float, *, args: list, kwargs: dict, unpublished=None) -> None:
    """Run `task` again in `delay_s`: through the broker (countdown) on a worker; in-process (eager), by
    waiting here, since Celery would re-run it at once, one frame deeper. When the retry cannot be published
    (broker unreachable) the message is dropped: `unpublished` is called first."""
    if task.request.is_eager:
        time.sleep(delay_s)
        return
    try:
        raise task.retry(countdown=delay_s, args=args, kwargs=kwargs)
    except Reject:
        if unpublished:
            unpublished()
        raise
