"""Suspending a shop (ops' `suspend_shop`, the admin, Shopify's `app/uninstalled`) and lifting the suspension.

A suspended shop sends nothing more: its sending campaigns are `paused` with reason `shop_inactive` (their held
credits stay held, nothing is lost), a batch task that still finds one of them sending parks its batch without
calling the provider, and enqueue, resume and test sends are refused (403 `shop_inactive`). Lifting the
suspension resumes nothing by itself: the merchant decides whether a campaign interrupted for that long is
still worth sending, and resumes it (API or admin) or cancels it, which releases its credits.

Lock order: see campaigns.services.locks (shop, then its campaigns).
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Shop
from campaigns.services.locks import shop_lock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuspensionResult:
    shop: Shop
    changed: bool  # False when the shop already was in the state asked for
    campaigns_paused: int = 0


def _pause_sending(*, shop_id: int) -> int:
    return Campaign.objects.filter(shop_id=shop_id, status=Campaign.Status.SENDING).update(
        status=Campaign.Status.PAUSED, paused_reason=Campaign.PausedReason.SHOP_INACTIVE, updated_at=timezone.now()
    )


def shop_campaigns_pause(*, shop_id: int) -> int:
    """For a batch task that found the shop inactive (a suspension made outside `shop_suspend`, or a campaign
    that slipped past it): while the shop is still inactive, its sending campaigns become `paused` with
    reason `shop_inactive`, in one transaction under the shop's lock. Returns how many."""
    with transaction.atomic():
        shop_lock(shop_id=shop_id)
        if Shop.objects.filter(id=shop_id, is_active=True).exists():
            return 0
        return _pause_sending(shop_id=shop_id)


def shop_suspend(*, shop: Shop) -> SuspensionResult:
    """Suspend the shop: inactive, and its sending campaigns paused (`shop_inactive`), in one transaction.
    Suspending a suspended shop changes nothing but pausing what was left sending."""
    with transaction.atomic():
        shop_lock(shop_id=shop.id)
        changed = bool(Shop.objects.filter(id=shop.id, is_active=True).update(is_active=False))
        paused = _pause_sending(shop_id=shop.id)
    shop.refresh_from_db()
    logger.warning("shop %s suspended: %s sending campaign(s) paused", shop.id, paused)
    return SuspensionResult(shop=shop, changed=changed, campaigns_paused=paused)


def shop_reinstate(*, shop: Shop) -> SuspensionResult:
    """Lift the suspension: the shop is active again. Its campaigns paused by the suspension stay paused
    (reason kept) until the merchant resumes them."""
    with transaction.atomic():
        shop_lock(shop_id=shop.id)
        changed = bool(Shop.objects.filter(id=shop.id, is_active=False).update(is_active=True))
    shop.refresh_from_db()
    logger.warning("shop %s reinstated", shop.id)
    return SuspensionResult(shop=shop, changed=changed)
