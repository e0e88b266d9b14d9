"""A sending campaign's life after enqueue: completion, cancel, pause, resume.

Locks are always taken in the order shop → campaign → batches → recipients → counters, like every other
writer of these rows, so these services never deadlock with a batch being applied.
"""

import logging

from django.db import transaction
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient, Shop
from campaigns.services.credits import campaign_hold_release_remaining, credits_release, shop_lock
from campaigns.services.dispatch import batches_dispatch_on_commit
from campaigns.services.errors import DomainError
from metrics.models import CampaignMetrics
from metrics.services import metrics_apply_transitions

logger = logging.getLogger(__name__)

ACTIVE = (Campaign.Status.SENDING, Campaign.Status.PAUSED)
UNFINISHED_BATCH = (Batch.Status.QUEUED, Batch.Status.SUBMITTING)


def campaign_complete_if_done(*, campaign_id: int) -> bool:
    """Mark a sending (or paused) campaign `completed` once no recipient is queued and no batch is queued or
    submitting, and release whatever credits it still holds. Returns True when this call completed it."""
    queued = CampaignMetrics.objects.filter(campaign_id=campaign_id).values_list("queued", flat=True).first()
    if queued != 0 or Batch.objects.filter(campaign_id=campaign_id, status__in=UNFINISHED_BATCH).exists():
        return False
    shop_id = Campaign.objects.filter(id=campaign_id).values_list("shop_id", flat=True).first()
    with transaction.atomic():
        shop_lock(shop_id=shop_id)
        done = Campaign.objects.filter(id=campaign_id, status__in=ACTIVE).update(
            status=Campaign.Status.COMPLETED, finished_at=timezone.now(), updated_at=timezone.now()
        )
        if done:
            campaign_hold_release_remaining(shop_id=shop_id, campaign_id=campaign_id, note="completed")
    return bool(done)


def _locked_campaign(*, shop: Shop, campaign_id: int) -> Campaign:
    shop_lock(shop_id=shop.id)
    campaign = Campaign.objects.select_for_update(no_key=True).filter(id=campaign_id, shop_id=shop.id).first()
    if campaign is None:
        raise DomainError("not_found", "No such campaign.")
    return campaign


def _refuse(campaign: Campaign, action: str) -> DomainError:
    return DomainError("invalid_status", f"A {campaign.status} campaign cannot be {action}.")


def campaign_cancel(*, shop: Shop, campaign_id: int) -> Campaign:
    """Stop every batch not yet submitted: those batches and their queued recipients end `cancelled`, their
    held credits are released and the counters move with them; a batch already being submitted finishes
    normally. 409 once the campaign is completed, cancelled or failed."""
    with transaction.atomic():
        campaign = _locked_campaign(shop=shop, campaign_id=campaign_id)
        if campaign.status not in (*Campaign.EDITABLE, *ACTIVE):
            raise _refuse(campaign, "cancelled")
        Batch.objects.filter(campaign_id=campaign.id, status=Batch.Status.QUEUED).update(
            status=Batch.Status.CANCELLED, updated_at=timezone.now()
        )
        cancelled = CampaignRecipient.objects.filter(
            campaign_id=campaign.id,
            status=CampaignRecipient.Status.QUEUED,
            batch_no__in=Batch.objects.filter(campaign_id=campaign.id, status=Batch.Status.CANCELLED).values("number"),
        ).update(status=CampaignRecipient.Status.CANCELLED)
        credits_release(
            shop_id=shop.id, amount=cancelled * campaign.segments, campaign_id=campaign.id, note="cancelled"
        )
        metrics_apply_transitions(campaign_id=campaign.id, transitions={("queued", "cancelled"): cancelled})
        campaign.status, campaign.finished_at = Campaign.Status.CANCELLED, timezone.now()
        campaign.save(update_fields=["status", "finished_at", "updated_at"])
    logger.info("campaign %s cancelled: %s recipients not sent", campaign.id, cancelled)
    return campaign


def _switch(*, shop: Shop, campaign_id: int, source: str, target: str, action: str) -> Campaign:
    with transaction.atomic():
        campaign = _locked_campaign(shop=shop, campaign_id=campaign_id)
        if campaign.status != source:
            raise _refuse(campaign, action)
        campaign.status = target
        campaign.save(update_fields=["status", "updated_at"])
        if target == Campaign.Status.SENDING:
            batches_dispatch_on_commit(campaign_id=campaign.id)
    return campaign


def campaign_pause(*, shop: Shop, campaign_id: int) -> Campaign:
    """Stop releasing batches: a sending campaign becomes `paused`; a batch task that starts while it is
    paused puts its batch back undispatched. Batches already submitting finish."""
    return _switch(
        shop=shop, campaign_id=campaign_id, source=Campaign.Status.SENDING, target=Campaign.Status.PAUSED,
        action="paused",
    )


def campaign_resume(*, shop: Shop, campaign_id: int) -> Campaign:
    """A paused campaign is `sending` again and its next batches are dispatched after commit (or it is
    completed at once when everything finished while it was paused)."""
    campaign = _switch(
        shop=shop, campaign_id=campaign_id, source=Campaign.Status.PAUSED, target=Campaign.Status.SENDING,
        action="resumed",
    )
    if campaign_complete_if_done(campaign_id=campaign.id):
        campaign.refresh_from_db()
    return campaign
