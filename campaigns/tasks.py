"""Celery tasks of the send path: thin wrappers that take ids and call one service.

Registered names are an API (queued messages carry them): rename only with a migration plan. Services send
these tasks by name (campaigns.services.publish) and never import this module.
"""

import logging
from datetime import datetime

from celery import shared_task

from campaigns.services.errors import DomainError
from campaigns.services.links.clicks import clicks_flush
from campaigns.services.publish import (
    TASK_CREDIT_PURCHASE_CHECK,
    TASK_SEND_AUTO_REPLY,
    TASK_SEND_BATCH,
    TASK_SEND_HELP_ANSWER,
    TASK_SHOPIFY_CONSENT_WRITEBACK,
    TASK_SHOPIFY_INSTALL_SETUP,
    TASK_SHOPIFY_PROCESS_WEBHOOK,
    TASK_SHOPIFY_SYNC,
)
from campaigns.services.purchases.settle import credit_purchase_notified, credit_purchases_recheck
from campaigns.services.reports.auto_reply import auto_reply_deliver
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.batch_states import batches_undispatch
from campaigns.services.sending.held_release import held_recipients_release
from campaigns.services.sending.reconcile import RECONCILE_TASK, counters_reconcile_recent
from campaigns.services.sending.retention import finished_campaigns_purge
from campaigns.services.sending.retry import task_retry_later
from campaigns.services.sending.scheduling import batches_recover, scheduled_campaigns_start
from campaigns.services.sending.unknown import unknown_batches_resolve
from campaigns.services.shopify_sync.install import shopify_install_setup
from campaigns.services.shopify_sync.sync import shopify_sync_fail, shopify_sync_run
from campaigns.services.shopify_sync.webhooks import shopify_webhook_process
from campaigns.services.shopify_sync.writeback import shopify_consent_writeback
from config.celery import periodic_lock_ttl_s
from config.locks import single_instance
from shopify.errors import ShopifyError, Throttled, TransientError

logger = logging.getLogger(__name__)


# No autoretry_for: which provider errors are retried, and how often, is decided by batch_send from the
# attempts counted on the Batch row (a redelivered message must not reset them); the task only waits.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, name=TASK_SEND_BATCH)
def send_batch(self, batch_id: int, limiter_waits: int = 0) -> str:
    while True:
        result = batch_send(batch_id=batch_id, limiter_waits=limiter_waits)
        logger.info("batch %s: %s", batch_id, result.status)
        if result.retry_in_s is None:
            return result.status
        limiter_waits += int(result.limiter_wait)
        # A retry that cannot be published puts the batch back undispatched for beat's next run, rather
        # than leaving it to wait out SEND_STALE_DISPATCH_S.
        task_retry_later(self, result.retry_in_s, args=[batch_id], kwargs={"limiter_waits": limiter_waits},
                         unpublished=lambda: batches_undispatch(batch_ids=[batch_id]))


def _auto_reply(task, log_id: int, attempt: int) -> str:
    while True:
        result = auto_reply_deliver(log_id=log_id, attempt=attempt)
        logger.info("automatic answer %s: %s", log_id, result.status)
        if result.retry_in_s is None:
            return result.status
        attempt += 1
        task_retry_later(task, result.retry_in_s, args=[log_id], kwargs={"attempt": attempt})


# A HELP answer or STOP confirmation, published after the inbound webhook's commit: sent once the rate limits
# have room (routed to the send queue). The row is claimed before the request, so a redelivered message never
# sends it twice.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, name=TASK_SEND_AUTO_REPLY)
def send_auto_reply(self, log_id: int, attempt: int = 1) -> str:
    return _auto_reply(self, log_id, attempt)


# The same task under its former name (messages queued before the rename still carry it).
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, name=TASK_SEND_HELP_ANSWER)
def send_help_answer(self, log_id: int, attempt: int = 1) -> str:
    return _auto_reply(self, log_id, attempt)


def _periodic(name: str, work) -> dict | None:
    with single_instance(name, ttl_s=periodic_lock_ttl_s(f"campaigns.{name}")) as acquired:
        if not acquired:
            logger.info("%s is already running elsewhere; skipped", name)
            return None
        return work()


@shared_task(name="campaigns.start_scheduled")
def start_scheduled() -> dict | None:
    return _periodic("start_scheduled", scheduled_campaigns_start)


@shared_task(name="campaigns.recover_batches")
def recover_batches() -> dict | None:
    return _periodic("recover_batches", batches_recover)


@shared_task(name="campaigns.resolve_unknown_batches")
def resolve_unknown_batches() -> dict | None:
    return _periodic("resolve_unknown_batches", unknown_batches_resolve)


@shared_task(name="campaigns.recheck_credit_purchases")
def recheck_credit_purchases() -> dict | None:
    return _periodic("recheck_credit_purchases", credit_purchases_recheck)


@shared_task(name="campaigns.release_held_recipients")
def release_held_recipients() -> dict | None:
    return _periodic("release_held_recipients", held_recipients_release)


@shared_task(name="campaigns.flush_clicks")
def flush_clicks() -> int | None:
    return _periodic("flush_clicks", clicks_flush)


# The counters' reconciliation; its registered name (an API, like every task's) is the metrics app's.
@shared_task(name=RECONCILE_TASK)
def reconcile_recent() -> int:
    """Reconcile the counters of recently active campaigns; one run at a time across the deployment."""
    with single_instance(RECONCILE_TASK, ttl_s=periodic_lock_ttl_s(RECONCILE_TASK)) as mine:
        if not mine:
            return 0
        return counters_reconcile_recent()


# Shopify's install and webhooks, on CELERY_QUEUE_SHOPIFY (the services publish them there). The install setup
# is retried only for what a later try can fix: Shopify unavailable, or throttled beyond the client's own waits.
@shared_task(name=TASK_SHOPIFY_INSTALL_SETUP, acks_late=True, autoretry_for=(TransientError, Throttled),
             retry_backoff=5, retry_backoff_max=300, max_retries=8)
def shopify_install_setup_task(install_id: int) -> int:
    return shopify_install_setup(install_id=install_id)


@shared_task(name=TASK_SHOPIFY_PROCESS_WEBHOOK, acks_late=True, reject_on_worker_lost=True)
def shopify_process_webhook(webhook_pk: int) -> str:
    outcome = shopify_webhook_process(webhook_pk=webhook_pk)
    logger.info("Shopify webhook %s: %s", webhook_pk, outcome)
    return outcome


# The customer sync resumes from its checkpoint: a killed worker's message is delivered again (acks_late), a
# transient Shopify failure is retried; anything else (or retries exhausted) marks the sync failed.
@shared_task(bind=True, name=TASK_SHOPIFY_SYNC, acks_late=True, reject_on_worker_lost=True, max_retries=8)
def shopify_sync(self, install_id: int) -> str:
    try:
        return shopify_sync_run(install_id=install_id)
    except (TransientError, Throttled) as exc:
        if self.request.retries >= self.max_retries:
            shopify_sync_fail(install_id=install_id, error=str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=min(300, 5 * 2 ** self.request.retries)) from exc
    except (DomainError, ShopifyError) as exc:
        logger.warning("Shopify sync of install %s failed: %s", install_id, exc)
        shopify_sync_fail(install_id=install_id, error=str(exc))
        return "failed"


@shared_task(name=TASK_SHOPIFY_CONSENT_WRITEBACK, acks_late=True, autoretry_for=(TransientError, Throttled),
             retry_backoff=5, retry_backoff_max=600, max_retries=12)
def shopify_consent_writeback_task(contact_id: int, subscribed: bool, at: str) -> str:
    return shopify_consent_writeback(contact_id=contact_id, subscribed=subscribed, at=datetime.fromisoformat(at))


@shared_task(name="campaigns.purge_finished")
def purge_finished() -> dict | None:
    return _periodic("purge_finished", finished_campaigns_purge)


@shared_task(name=TASK_CREDIT_PURCHASE_CHECK, acks_late=True, reject_on_worker_lost=True)
def credit_purchase_check_task(shopify_id: str, domain: str, attempt: int = 1) -> str:
    outcome = credit_purchase_notified(shopify_id=shopify_id, domain=domain, attempt=attempt)
    logger.info("Credit purchase %s of %s, check %s: %s", shopify_id, domain, attempt, outcome)
    return outcome
