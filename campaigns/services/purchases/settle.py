"""A credit purchase settled from what the Admin API reads: credited exactly once when ACTIVE, recorded as
declined or expired otherwise. The return URL and the `app_purchases_one_time/update` webhook both end here, in
any order and any number of times."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import CreditPurchase, ShopifyInstall
from campaigns.services.billing.ledger import credits_purchase
from campaigns.services.errors import DomainError
from campaigns.services.locks import shop_lock
from campaigns.services.publish import TASK_CREDIT_PURCHASE_CHECK, task_publish
from campaigns.services.shopify_sync.install import shopify_client
from shopify import admin
from shopify.errors import ShopifyError, Throttled, TransientError

logger = logging.getLogger(__name__)

Status = CreditPurchase.Status
# What Shopify's status of a one-time purchase makes of ours; PENDING (or anything else) changes nothing.
OUTCOMES = {"ACTIVE": Status.ACTIVE, "DECLINED": Status.DECLINED, "EXPIRED": Status.EXPIRED}
# A notified purchase not stored yet (its creation not committed) or unreadable for a while is checked again
# after these delays (seconds); the merchant's return checks it too.
RECHECK_DELAYS_S = (2, 5, 15, 30, 60, 120, 300, 600)
SHOPIFY_GID = "gid://shopify/AppPurchaseOneTime/"
# Beat's safety net: pending purchases younger than RECHECK_WINDOW are read again (a lost webhook, a merchant who
# closed the tab before the return); older ones are left as they are.
RECHECK_WINDOW = timedelta(days=7)
RECHECK_AFTER = timedelta(minutes=1)


def credit_purchase_check(*, purchase_id: int) -> str:
    """Read the purchase from the Admin API (`node(id:)`) and apply what it says; the purchase's status after.
    A purchase already decided is not read again. Raises the edge's ShopifyError (TransientError, Throttled:
    retry later) and DomainError `not_installed` when the shop's token is gone."""
    purchase = CreditPurchase.objects.get(pk=purchase_id)
    if purchase.status != Status.PENDING or not purchase.shopify_id:
        return purchase.status
    install = ShopifyInstall.objects.select_related("shop").filter(shop_id=purchase.shop_id).first()
    if install is None:
        raise DomainError("not_installed", f"Purchase {purchase_id}'s shop is not installed from Shopify.")
    found = admin.purchase_status(shopify_client(install=install), purchase.shopify_id)
    return credit_purchase_apply(purchase_id=purchase_id, shopify_status=found.status if found else None)


def credit_purchase_check_notified(*, shopify_id: str, domain: str) -> str | None:
    """`credit_purchase_check` of the purchase Shopify notified about (webhook), found by its Shopify id within
    the shop of `domain`; None while no such purchase is stored (its row may not be committed yet)."""
    purchase_id = (CreditPurchase.objects.filter(shopify_id=shopify_id, shop__domain=domain)
                   .values_list("id", flat=True).first())
    return None if purchase_id is None else credit_purchase_check(purchase_id=purchase_id)


def credit_purchase_returned(*, purchase_id: int, charge_id: str) -> CreditPurchase:
    """The merchant came back from Shopify's confirmation page (`charge_id` appended to our return URL): the
    purchase is checked now. DomainError `not_found` when `charge_id` is not this purchase's. Shopify not
    answering leaves it pending (its webhook settles it); returns the purchase as it stands."""
    purchase = CreditPurchase.objects.filter(pk=purchase_id).first()
    if purchase is None or not charge_id.isdigit() or purchase.shopify_id != f"{SHOPIFY_GID}{charge_id}":
        raise DomainError("not_found", "No such purchase.")
    try:
        credit_purchase_check(purchase_id=purchase_id)
    except (ShopifyError, DomainError) as exc:
        logger.warning("Credit purchase %s not checked on return: %s", purchase_id, exc)
    purchase.refresh_from_db()
    return purchase


def credit_purchase_notified(*, shopify_id: str, domain: str, attempt: int = 1) -> str:
    """Shopify notified a change of the purchase (`app_purchases_one_time/update`): check it, and check again
    later (by the task, RECHECK_DELAYS_S) while it is not stored yet or Shopify cannot be read. Never raises for
    Shopify's or the shop's state; returns the status, or `unknown` / `retry_later` / `not_installed` / `failed`."""
    try:
        status = credit_purchase_check_notified(shopify_id=shopify_id, domain=domain)
    except (TransientError, Throttled) as exc:
        logger.warning("Credit purchase %s of %s could not be read (%s)", shopify_id, domain, exc)
        status = None
    except DomainError as exc:
        logger.warning("Credit purchase %s of %s not checked: %s", shopify_id, domain, exc.detail)
        return exc.reason
    except ShopifyError as exc:
        logger.error("Credit purchase %s of %s: Shopify refused the check: %s", shopify_id, domain, exc)
        return "failed"
    if status is not None:
        return status
    if attempt > len(RECHECK_DELAYS_S):
        logger.error("Credit purchase %s of %s still unknown after %s checks", shopify_id, domain, attempt)
        return "unknown"
    task_publish(TASK_CREDIT_PURCHASE_CHECK, args=[shopify_id, domain, attempt + 1],
                 countdown=RECHECK_DELAYS_S[attempt - 1], queue=settings.CELERY_QUEUE_SHOPIFY)
    return "retry_later"


def credit_purchase_apply(*, purchase_id: int, shopify_status: str | None) -> str:
    """Apply Shopify's status of the purchase, exactly once: in one transaction the shop row is locked first, the
    purchase moves from `pending` by a conditional UPDATE and, when it became `active`, the pack is credited
    (a `purchase` ledger row, unique per purchase). A repeated or late call changes nothing. The status after."""
    outcome = OUTCOMES.get((shopify_status or "").upper())
    shop_id, credits = CreditPurchase.objects.values_list("shop_id", "credits").get(pk=purchase_id)
    with transaction.atomic():
        if outcome is not None:
            shop_lock(shop_id=shop_id)
            moved = CreditPurchase.objects.filter(pk=purchase_id, status=Status.PENDING).update(
                status=outcome, decided_at=timezone.now())
            if moved and outcome == Status.ACTIVE:
                credits_purchase(shop_id=shop_id, amount=credits, purchase_id=purchase_id,
                                 note=f"{credits} credits bought in Shopify")
            if moved:
                logger.info("Credit purchase %s %s", purchase_id, outcome)
        return CreditPurchase.objects.values_list("status", flat=True).get(pk=purchase_id)


def credit_purchases_recheck(*, limit: int = 200) -> dict:
    """Beat's safety net: read every pending purchase of the last RECHECK_WINDOW (older than RECHECK_AFTER, so the
    return and the webhook go first), oldest first, at most `limit`, and apply what Shopify says. A purchase that
    cannot be read is left for the next run. Counts by outcome."""
    now = timezone.now()
    ids = list(CreditPurchase.objects.filter(
        status=Status.PENDING, shopify_id__isnull=False, created_at__gte=now - RECHECK_WINDOW,
        created_at__lte=now - RECHECK_AFTER).order_by("id").values_list("id", flat=True)[:limit])
    outcomes: dict[str, int] = {}
    for purchase_id in ids:
        try:
            outcome = credit_purchase_check(purchase_id=purchase_id)
        except (ShopifyError, DomainError) as exc:
            logger.warning("Credit purchase %s not rechecked: %s", purchase_id, exc)
            outcome = "unread"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
