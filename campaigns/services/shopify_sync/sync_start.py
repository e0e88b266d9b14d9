"""Starting a full customer sync (sync.py runs it): the install marked running with its progress reset, and the
sync task sent after commit. Apart from sync.py so the install (install.py) can start one without a cycle."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import ShopifyInstall
from campaigns.services.errors import DomainError
from campaigns.services.publish import TASK_SHOPIFY_SYNC, task_publish

logger = logging.getLogger(__name__)
State = ShopifyInstall.SyncState


def shopify_sync_start(*, shop_id: int) -> ShopifyInstall:
    """Start a full sync of the shop's customers (progress counters reset; the task runs it after commit).
    DomainError `not_installed` when the shop is not connected, `sync_running` while a sync runs."""
    with transaction.atomic():
        install = ShopifyInstall.objects.select_for_update().filter(shop_id=shop_id).first()
        if install is None or not install.connected:
            raise DomainError("not_installed", "This shop is not installed from Shopify.")
        if install.sync_state == State.RUNNING:
            raise DomainError("sync_running", "A customer sync of this shop is running; wait until it ends.")
        shopify_sync_begin(install)
    logger.info("Shopify customer sync of %s started", install.shop.domain)
    return install


def shopify_sync_begin(install: ShopifyInstall) -> None:
    """Mark the (locked) install's sync running from the start and send the task after commit. Must run inside
    the transaction that holds the install's row lock."""
    install.sync_state, install.sync_started_at, install.sync_error = State.RUNNING, timezone.now(), ""
    install.sync_mode, install.sync_cursor, install.sync_bulk_url, install.sync_offset = "", "", "", 0
    install.customers_seen = install.contacts_created = install.contacts_updated = install.skipped_no_phone = 0
    install.save()
    install_id = install.pk
    transaction.on_commit(lambda: task_publish(TASK_SHOPIFY_SYNC, args=[install_id],
                                              queue=settings.CELERY_QUEUE_SHOPIFY))
