"""Periodic work of the delivery-report path (scheduled in config/celery.py). Registered names are an API."""

from celery import shared_task

from campaigns.services.reports.delivery import unmatched_reports_purge, unmatched_reports_reapply
from config.celery import periodic_lock_ttl_s
from config.locks import single_instance


@shared_task(name="campaigns.reapply_unmatched_reports")
def reapply_unmatched_reports() -> dict | None:
    """Apply stored reports whose recipient has appeared, then purge the expired ones; one run at a time."""
    ttl_s = periodic_lock_ttl_s("campaigns.reapply_unmatched_reports")
    with single_instance("reapply_unmatched_reports", ttl_s=ttl_s) as mine:
        if not mine:
            return None
        return {"moved": unmatched_reports_reapply(), "purged": unmatched_reports_purge()}
