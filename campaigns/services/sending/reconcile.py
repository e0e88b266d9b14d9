"""The counters proved against the recipient rows: this module counts the rows (it owns their statuses and
the held batch number) and tells metrics.reconcile, which repairs drift. Beat runs `counters_reconcile_recent`.
"""

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from config.celery import periodic_every_s
from metrics.models import CampaignMetrics
from metrics.reconcile import Observation, counters_expected, metrics_reconcile
from metrics.services import COUNTERS

RECONCILE_TASK = "metrics.reconcile"
_ACTIVE = (Campaign.Status.SENDING, Campaign.Status.PAUSED)
# One statement, so the counters and the rows are read in the same snapshot.
_OBSERVE_SQL = f"""
    SELECT m.total, m.queued, m.sent, m.delivered, m.failed, m.cancelled, m.held, r.status, r.n, r.held
    FROM {CampaignMetrics._meta.db_table} m
    LEFT JOIN (
        SELECT status, count(*) AS n,
               SUM(CASE WHEN status = %s AND batch_no = %s THEN 1 ELSE 0 END) AS held
        FROM campaigns_campaignrecipient WHERE campaign_id = %s GROUP BY status
    ) r ON 1 = 1
    WHERE m.campaign_id = %s
"""
_RECENT_SQL = f"""
    SELECT m.campaign_id FROM {CampaignMetrics._meta.db_table} m JOIN campaigns_campaign c ON c.id = m.campaign_id
    WHERE m.updated_at >= %s OR c.status IN (%s, %s) ORDER BY m.campaign_id
"""


def counters_observe(campaign_id: int) -> Observation:
    """(the campaign's counters, what its recipient rows say they should be), or None when it has no counters.
    A recipient held for quiet hours is `queued` with batch number HELD_BATCH_NO."""
    params = [CampaignRecipient.Status.QUEUED, CampaignRecipient.HELD_BATCH_NO, campaign_id, campaign_id]
    with connection.cursor() as cursor:
        cursor.execute(_OBSERVE_SQL, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    counters = dict(zip(COUNTERS, rows[0][:7], strict=True))
    present = [row for row in rows if row[7] is not None]
    expected = counters_expected(
        states={row[7]: row[8] for row in present}, held=sum(int(row[9] or 0) for row in present)
    )
    return counters, expected


def counters_reconcile(*, campaign_ids=None) -> dict[int, dict[str, tuple[int, int]]]:
    """Prove the counters of `campaign_ids` (default: every campaign with counters) against their rows and
    repair drift (metrics.reconcile.metrics_reconcile); returns the repairs."""
    return metrics_reconcile(observe=counters_observe, campaign_ids=campaign_ids)


def campaigns_to_reconcile(*, changed_since: datetime) -> list[int]:
    """Campaigns whose counters moved since `changed_since`, or that are sending or paused."""
    with connection.cursor() as cursor:
        cursor.execute(_RECENT_SQL, [changed_since, *_ACTIVE])
        return [row[0] for row in cursor.fetchall()]


def counters_reconcile_recent() -> int:
    """Beat: reconcile the counters of recently active campaigns (those whose counters moved within three
    periods of the task, a bit more than one period, or still sending); returns how many were repaired."""
    lookback = timedelta(seconds=3 * periodic_every_s(RECONCILE_TASK))
    ids = campaigns_to_reconcile(changed_since=timezone.now() - lookback)
    return len(counters_reconcile(campaign_ids=ids))
