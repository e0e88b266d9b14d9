"""Installing from Shopify: the shop created or linked, its offline token stored encrypted, the install's
webhooks registered; the token refreshed before it expires; an uninstall suspends sending and drops the token.

May call: the `shopify` edge app, shops. Tokens are encrypted with `shopify.tokens` and never logged.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Shop, ShopifyInstall
from campaigns.services.errors import DomainError
from campaigns.services.publish import TASK_SHOPIFY_INSTALL_SETUP, task_publish
from campaigns.services.sending.suspension import shop_reinstate, shop_suspend
from campaigns.services.shopify_sync.sync_start import shopify_sync_begin
from campaigns.services.shops import shop_create
from shopify import admin, oauth
from shopify.client import AdminClient
from shopify.oauth import OfflineToken
from shopify.tokens import decrypt_token, encrypt_token
from shopify.webhooks import MANDATORY_TOPICS, TOPICS

logger = logging.getLogger(__name__)

# The privacy topics are configured with the app, not subscribed per shop (SHOPIFY.md).
SUBSCRIBED_TOPICS = tuple(topic for topic in TOPICS if topic not in MANDATORY_TOPICS)


def shopify_install_complete(*, domain: str, token: OfflineToken) -> ShopifyInstall:
    """Create or link the shop of `domain` and store its token encrypted, in one transaction; a reinstall lifts
    the suspension its uninstall caused (never one ops set). After commit, the setup task registers the webhooks
    and the first customer sync starts (unless one runs)."""
    now = timezone.now()
    shop = Shop.objects.filter(domain=domain).first() or _shop_create(domain)
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        install, _ = ShopifyInstall.objects.select_for_update().get_or_create(shop=shop)
        _token_set(install, token)
        install.scopes, install.installed_at, install.uninstalled_at = token.scope, now, None
        if install.suspended_by_uninstall:
            shop_reinstate(shop=shop)
            install.suspended_by_uninstall = False
        install.save()
        if install.sync_state != ShopifyInstall.SyncState.RUNNING:
            shopify_sync_begin(install)
        install_id = install.pk
        transaction.on_commit(lambda: task_publish(TASK_SHOPIFY_INSTALL_SETUP, args=[install_id],
                                                  queue=settings.CELERY_QUEUE_SHOPIFY))
    logger.info("Shopify install of %s stored", domain)
    return install


def shopify_install_setup(*, install_id: int) -> int:
    """Subscribe the install's webhooks (a subscription that exists already counts as done); how many were new.
    Safe to run again. Raises the edge's TransientError/Throttled for the task to retry."""
    install = ShopifyInstall.objects.select_related("shop").get(pk=install_id)
    if not install.connected:
        return 0
    client = shopify_client(install=install)
    callback = f"{settings.SHOPIFY_APP_URL}/webhooks/shopify"
    created = sum(admin.webhook_subscribe(client, topic=topic, callback_url=callback) is not None
                  for topic in SUBSCRIBED_TOPICS)
    ShopifyInstall.objects.filter(pk=install_id).update(webhooks_registered_at=timezone.now())
    return created


def shopify_client(*, install: ShopifyInstall, now: datetime | None = None) -> AdminClient:
    """An Admin API client with the install's token, refreshed first when it expires within five minutes (under
    the install's row lock, so two workers never spend the same refresh token). DomainError `not_installed` when
    the shop has no token (uninstalled)."""
    if not install.connected:
        raise DomainError("not_installed", f"{install.shop.domain} is not installed from Shopify.")
    token = _token_of(install)
    if token.needs_refresh(now=now):
        with transaction.atomic():
            locked = ShopifyInstall.objects.select_for_update().get(pk=install.pk)
            token = _token_of(locked)
            if token.needs_refresh(now=now):
                token = oauth.refresh_token(install.shop.domain, token, now=now)
                _token_set(locked, token)
                locked.save(update_fields=["access_token", "refresh_token", "token_expires_at", "refresh_expires_at"])
    return AdminClient(install.shop.domain, token.access_token)


def shopify_uninstalled(*, domain: str) -> bool:
    """app/uninstalled: drop the tokens, stamp the uninstall and suspend sending like `suspend_shop` (its sending
    campaigns paused, `shop_inactive`), remembering that the uninstall did it. True when something changed; a
    repeated or late delivery changes nothing."""
    with transaction.atomic():
        install = (ShopifyInstall.objects.select_for_update().select_related("shop")
                   .filter(shop__domain=domain, uninstalled_at__isnull=True).first())
        if install is None:
            return False
        shop = Shop.objects.select_for_update().get(pk=install.shop_id)
        install.access_token = install.refresh_token = ""
        install.token_expires_at = install.refresh_expires_at = None
        install.uninstalled_at = timezone.now()
        if shop.is_active:
            install.suspended_by_uninstall = shop_suspend(shop=shop).changed
        install.save()
    logger.info("Shopify app uninstalled from %s: sending suspended, token dropped", domain)
    return True


def _token_of(install: ShopifyInstall) -> OfflineToken:
    return OfflineToken(
        access_token=decrypt_token(install.access_token), scope=install.scopes, expires_at=install.token_expires_at,
        refresh_token=decrypt_token(install.refresh_token) if install.refresh_token else None,
        refresh_expires_at=install.refresh_expires_at,
    )


def _token_set(install: ShopifyInstall, token: OfflineToken) -> None:
    install.access_token = encrypt_token(token.access_token)
    install.refresh_token = encrypt_token(token.refresh_token) if token.refresh_token else ""
    install.token_expires_at, install.refresh_expires_at = token.expires_at, token.refresh_expires_at


def _shop_create(domain: str) -> Shop:
    try:
        return shop_create(domain=domain)
    except DomainError:  # created meanwhile by a concurrent callback
        return Shop.objects.get(domain=domain)
