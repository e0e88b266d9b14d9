"""Periodic work of the counters (scheduled in config/celery.py)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from config.locks import single_instance
from metrics.reconcile import campaigns_to_reconcile, metrics_reconcile

RECONCILE_EVERY_S = 300
# Campaigns whose counters moved within this window are checked (a bit more than one period).
RECONCILE_LOOKBACK = timedelta(seconds=3 * RECONCILE_EVERY_S)


@shared_task(name="metrics.reconcile")
def reconcile_recent() -> int:
    """Reconcile the counters of recently active campaigns; one run at a time across the deployment."""
    with single_instance("metrics.reconcile", ttl_s=RECONCILE_EVERY_S * 2) as mine:
        if not mine:
            return 0
        ids = campaigns_to_reconcile(changed_since=timezone.now() - RECONCILE_LOOKBACK)
        return len(metrics_reconcile(campaign_ids=ids))
