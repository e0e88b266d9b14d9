"""Celery tasks of the Shopify install and webhooks (on the CELERY_QUEUE_SHOPIFY queue): thin wrappers that take
ids and call one service. Registered names are an API."""

import logging

from celery import shared_task

from campaigns.services.shopify_sync.install import TASK_INSTALL_SETUP, shopify_install_setup
from campaigns.services.shopify_sync.webhooks import TASK_PROCESS_WEBHOOK, shopify_webhook_process
from shopify.errors import Throttled, TransientError

logger = logging.getLogger(__name__)


# Retried only for what a later try can fix: Shopify unavailable or throttled beyond the client's own waits.
@shared_task(name=TASK_INSTALL_SETUP, acks_late=True, autoretry_for=(TransientError, Throttled), retry_backoff=5,
             retry_backoff_max=300, max_retries=8)
def shopify_install_setup_task(install_id: int) -> int:
    return shopify_install_setup(install_id=install_id)


@shared_task(name=TASK_PROCESS_WEBHOOK, acks_late=True, reject_on_worker_lost=True)
def shopify_process_webhook(webhook_pk: int) -> str:
    outcome = shopify_webhook_process(webhook_pk=webhook_pk)
    logger.info("Shopify webhook %s: %s", webhook_pk, outcome)
    return outcome
