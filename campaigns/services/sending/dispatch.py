"""Dispatch: release a campaign's batches to the broker a bounded window at a time.

A big campaign never has more than SEND_WINDOW_BATCHES batches in the broker or in flight, so another
shop's small campaign is queued between its batches instead of behind all of them. The next batches
follow as earlier ones finish (and beat re-dispatches whatever a lost message left behind). Tasks are sent by
their registered name (campaigns.services.publish). Lock order: see campaigns.services.locks.

`batches_dispatch_on_commit` is the one seam tests patch to run batches themselves (the `no_dispatch` fixture):
every writer calls it through this module.
"""

import logging
import threading

import kombu.exceptions
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Batch, Campaign
from campaigns.services.publish import TASK_SEND_BATCH, task_publish
from campaigns.services.sending.batch_states import batches_mark_dispatched, batches_undispatch

logger = logging.getLogger(__name__)
_eager = threading.local()


def _claim(*, campaign_id: int) -> list[int]:
    """Mark up to the free part of the window of due, undispatched, queued batches as dispatched and return
    their ids. The campaign row lock serialises dispatchers of one campaign, so the window holds and no
    batch is claimed twice; a campaign not `sending` (paused, cancelled, …) claims nothing. The lock is
    FOR NO KEY UPDATE, so rows being inserted that refer to the campaign (ledger rows) do not wait for it."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).filter(id=campaign_id)
        if not campaign.filter(status=Campaign.Status.SENDING).exists():
            return []
        batches = Batch.objects.filter(campaign_id=campaign_id)
        in_flight = batches.filter(
            status__in=(Batch.Status.QUEUED, Batch.Status.SUBMITTING), dispatched_at__isnull=False
        ).count()
        room = settings.SEND_WINDOW_BATCHES - in_flight
        if room <= 0:
            return []
        now = timezone.now()
        due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        ids = list(
            batches.select_for_update(skip_locked=True, no_key=True)
            .filter(due, status=Batch.Status.QUEUED, dispatched_at__isnull=True)
            .order_by("number")
            .values_list("id", flat=True)[:room]
        )
        batches_mark_dispatched(batch_ids=ids, now=now)
        return ids


def _publish(batch_ids: list[int]) -> None:
    """Send each batch's task to the broker. When the broker cannot be reached (Redis restarting), the
    batches not yet published are put back undispatched for beat's next run instead of waiting out
    SEND_STALE_DISPATCH_S, and the caller (often a batch whose answer is already applied) goes on."""
    logger.info("dispatching batches %s", batch_ids)
    for index, batch_id in enumerate(batch_ids):
        try:
            task_publish(TASK_SEND_BATCH, args=[batch_id], queue=settings.CELERY_QUEUE_SEND)
        except kombu.exceptions.OperationalError as exc:
            batches_undispatch(batch_ids=batch_ids[index:])
            logger.warning("broker unreachable (%s): batches %s left for beat to dispatch", exc, batch_ids[index:])
            return


def _eager_mode() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def batches_dispatch(*, campaign_id: int) -> int:
    """Send the campaign's next batches (as many as the window has room for) to the broker after commit;
    returns how many were claimed.

    With in-process (eager) tasks a batch finishing would dispatch the next one from inside itself, one
    stack frame deeper per batch; instead the outermost call loops and nested calls return at once.
    """
    if not _eager_mode():
        batch_ids = _claim(campaign_id=campaign_id)
        if batch_ids:
            transaction.on_commit(lambda: _publish(batch_ids))
        return len(batch_ids)
    active = _eager.__dict__.setdefault("campaigns", set())
    if campaign_id in active:
        return 0
    active.add(campaign_id)
    claimed = 0
    try:
        while batch_ids := _claim(campaign_id=campaign_id):
            claimed += len(batch_ids)
            _publish(batch_ids)
    finally:
        active.discard(campaign_id)
    return claimed


def batches_dispatch_on_commit(*, campaign_id: int) -> None:
    """Dispatch the campaign's next batches once the current transaction commits."""
    transaction.on_commit(lambda: batches_dispatch(campaign_id=campaign_id))
