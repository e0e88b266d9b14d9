"""A sending campaign's life after enqueue: completion, cancel, pause, resume.

Lock order: see campaigns.services.locks (these writers follow it).
"""

import logging

from django.db import transaction
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient, Shop
from campaigns.selectors import campaign_of_shop
from campaigns.services.billing.ledger import campaign_hold_release_remaining, credits_release
from campaigns.services.billing.moved import moved_by
from campaigns.services.errors import DomainError
from campaigns.services.locks import shop_lock
from campaigns.services.sending import dispatch
from campaigns.services.sending.batch_states import UNFINISHED_BATCH, batches_cancel_queued
from config.observability.metrics import after_commit, observe_messages
from metrics.models import CampaignMetrics
from metrics.services import deltas_for_transitions, metrics_apply

logger = logging.getLogger(__name__)

ACTIVE = (Campaign.Status.SENDING, Campaign.Status.PAUSED)
_CANCEL_QUEUED = (
    "UPDATE campaigns_campaignrecipient SET status = 'cancelled' WHERE campaign_id = %s AND status = 'queued'"
)


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
    return campaign_of_shop(
        shop_id=shop.id, campaign_id=campaign_id, queryset=Campaign.objects.select_for_update(no_key=True)
    )


def _refuse(campaign: Campaign, action: str) -> DomainError:
    return DomainError("invalid_status", f"A {campaign.status} campaign cannot be {action}.")


def campaign_cancel(*, shop: Shop, campaign_id: int) -> Campaign:
    """Stop every batch not yet submitted: those batches, their queued recipients and the recipients held for
    quiet hours end `cancelled`, their
    held credits are released and the counters move with them; a batch already being submitted finishes
    normally. 409 once the campaign is completed, cancelled or failed."""
    with transaction.atomic():
        campaign = _locked_campaign(shop=shop, campaign_id=campaign_id)
        if campaign.status not in (*Campaign.EDITABLE, *ACTIVE):
            raise _refuse(campaign, "cancelled")
        batches_cancel_queued(campaign_id=campaign.id)
        held = moved_by(_CANCEL_QUEUED + " AND batch_no = %s RETURNING segments",
                        [campaign.id, CampaignRecipient.HELD_BATCH_NO])
        cancelled = held + moved_by(
            _CANCEL_QUEUED + " AND batch_no IN (SELECT number FROM campaigns_batch WHERE campaign_id = %s"
            " AND status = 'cancelled') RETURNING segments", [campaign.id, campaign.id],
        )
        credits_release(shop_id=shop.id, amount=cancelled.segments, campaign_id=campaign.id, note="cancelled")
        deltas = deltas_for_transitions({("queued", "cancelled"): cancelled.rows})
        metrics_apply(campaign_id=campaign.id, deltas={**deltas, "held": -held.rows})
        after_commit(observe_messages, "cancelled", cancelled.rows)
        campaign.status, campaign.finished_at = Campaign.Status.CANCELLED, timezone.now()
        campaign.save(update_fields=["status", "finished_at", "updated_at"])
    logger.info("campaign %s cancelled: %s recipients not sent", campaign.id, cancelled.rows)
    return campaign


def _switch(*, shop: Shop, campaign_id: int, source: str, target: str, action: str, reason: str = "") -> Campaign:
    with transaction.atomic():
        campaign = _locked_campaign(shop=shop, campaign_id=campaign_id)
        if campaign.status != source:
            raise _refuse(campaign, action)
        if target == Campaign.Status.SENDING and not Shop.objects.filter(id=shop.id, is_active=True).exists():
            raise DomainError("shop_inactive", "The shop is suspended.")
        campaign.status, campaign.paused_reason = target, reason
        campaign.save(update_fields=["status", "paused_reason", "updated_at"])
        if target == Campaign.Status.SENDING:
            dispatch.batches_dispatch_on_commit(campaign_id=campaign.id)
    return campaign


def campaign_pause(*, shop: Shop, campaign_id: int) -> Campaign:
    """Stop releasing batches: a sending campaign becomes `paused` (reason `merchant`); a batch task that
    starts while it is paused puts its batch back undispatched. Batches already submitting finish."""
    return _switch(
        shop=shop, campaign_id=campaign_id, source=Campaign.Status.SENDING, target=Campaign.Status.PAUSED,
        action="paused", reason=Campaign.PausedReason.MERCHANT,
    )


def campaign_resume(*, shop: Shop, campaign_id: int) -> Campaign:
    """A paused campaign (whatever paused it) is `sending` again and its next batches are dispatched after
    commit (or it is completed at once when everything finished while it was paused). 403 `shop_inactive`
    while the shop is suspended."""
    campaign = _switch(
        shop=shop, campaign_id=campaign_id, source=Campaign.Status.PAUSED, target=Campaign.Status.SENDING,
        action="resumed",
    )
    if campaign_complete_if_done(campaign_id=campaign.id):
        campaign.refresh_from_db()
    return campaign
