"""Beat's part of the send path: start scheduled campaigns when due, and recover batches that a lost
broker message or a killed worker left behind (their Batch transitions are written in batch_states)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Batch, Campaign
from campaigns.services.errors import DomainError
from campaigns.services.sending.batch_states import UNFINISHED_BATCH, batches_lost_undispatch, batches_submitting_expire
from campaigns.services.sending.dispatch import batches_dispatch
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.lifecycle import campaign_complete_if_done
from config.broker import broker_lost_messages

logger = logging.getLogger(__name__)

START_PER_RUN = 100


def scheduled_campaigns_start() -> dict[str, int]:
    """Enqueue every scheduled campaign that is due. One the enqueue refuses (no recipients, too few
    credits, …) becomes `failed`, the reason logged; one already started by someone else is left alone. A
    suspended shop's campaigns are not started: they stay `scheduled` (the merchant may edit or cancel them)
    and start once the suspension is lifted."""
    due = Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, scheduled_at__lte=timezone.now(), shop__is_active=True
    )
    started = failed = 0
    for campaign in due.select_related("shop").order_by("scheduled_at")[:START_PER_RUN]:
        try:
            campaign_enqueue(shop=campaign.shop, campaign_id=campaign.id)
            started += 1
        except DomainError as exc:
            if exc.reason in ("invalid_status", "not_found", "shop_inactive"):
                continue
            failed += Campaign.objects.filter(id=campaign.id, status=Campaign.Status.SCHEDULED).update(
                status=Campaign.Status.FAILED, updated_at=timezone.now()
            )
            logger.warning("scheduled campaign %s could not start: %s", campaign.id, exc)
    return {"started": started, "failed": failed}


def batches_recover() -> dict[str, int]:
    """Repair what crashes and lost messages leave: a batch dispatched long ago but still queued (its
    broker message was lost) is dispatched again, and so is every dispatched batch still queued when the
    broker lost its data (config.broker: a Redis restarted without persistence); a batch `submitting`
    past SEND_SUBMIT_DEADLINE_S (its worker died; the request may have gone out) becomes `unknown`, never
    resent; every sending campaign with due undispatched batches is dispatched (lost on-commit, parked
    retries, resumed campaigns); a campaign whose work is all done is completed."""
    now = timezone.now()
    if broker_lost_messages():
        logger.warning("the broker lost its messages (Redis restarted?): every dispatched batch is dispatched again")
        stale_before = None
    else:
        stale_before = now - timedelta(seconds=settings.SEND_STALE_DISPATCH_S)
    redispatched = batches_lost_undispatch(stale_before=stale_before, now=now)
    unknown = batches_submitting_expire(
        claimed_before=now - timedelta(seconds=settings.SEND_SUBMIT_DEADLINE_S), now=now
    )
    if unknown:
        logger.error("%s batches stuck in submitting marked unknown", unknown)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    waiting = Batch.objects.filter(
        due, status=Batch.Status.QUEUED, dispatched_at__isnull=True, campaign__status=Campaign.Status.SENDING
    )
    campaign_ids = set(waiting.values_list("campaign_id", flat=True).distinct())
    dispatched = sum(batches_dispatch(campaign_id=campaign_id) for campaign_id in campaign_ids)
    finished = Campaign.objects.filter(status=Campaign.Status.SENDING, metrics__queued=0).exclude(
        batches__status__in=UNFINISHED_BATCH
    )
    completed = sum(campaign_complete_if_done(campaign_id=cid) for cid in finished.values_list("id", flat=True))
    return {"redispatched": redispatched, "unknown": unknown, "dispatched": dispatched, "completed": completed}
