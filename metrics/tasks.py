"""Periodic work of the counters (scheduled in config/celery.py)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from config.celery import periodic_every_s, periodic_lock_ttl_s
from config.locks import single_instance
from metrics.reconcile import campaigns_to_reconcile, metrics_reconcile

NAME = "metrics.reconcile"


@shared_task(name=NAME)
def reconcile_recent() -> int:
    """Reconcile the counters of recently active campaigns; one run at a time across the deployment.
    Campaigns whose counters moved within three periods are checked (a bit more than one period)."""
    with single_instance(NAME, ttl_s=periodic_lock_ttl_s(NAME)) as mine:
        if not mine:
            return 0
        lookback = timedelta(seconds=3 * periodic_every_s(NAME))
        ids = campaigns_to_reconcile(changed_since=timezone.now() - lookback)
        return len(metrics_reconcile(campaign_ids=ids))
