"""Proving the counters against the recipient rows, and repairing them when they drifted.

Drift is a bug in whatever moved a recipient without its counters: it is repaired and logged as an
error with the numbers. Campaigns are known here by id only; the recipients are read by table name.
`held` is recomputed from the rows too: a recipient held for quiet hours is `queued` with batch number
HELD_BATCH_NO (-1, campaigns.models.CampaignRecipient; repeated here since metrics does not import campaigns).
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models.functions import Now

from metrics.models import CampaignMetrics
from metrics.services import COUNTERS, counters_for_states

logger = logging.getLogger(__name__)

HELD_BATCH_NO = -1
# One statement, so the counters and the rows are read in the same snapshot.
_OBSERVE_SQL = """
    SELECT m.total, m.queued, m.sent, m.delivered, m.failed, m.cancelled, m.held, r.status, r.n, r.held
    FROM metrics_campaignmetrics m
    LEFT JOIN (
        SELECT status, count(*) AS n,
               SUM(CASE WHEN status = 'queued' AND batch_no = %s THEN 1 ELSE 0 END) AS held
        FROM campaigns_campaignrecipient WHERE campaign_id = %s GROUP BY status
    ) r ON 1 = 1
    WHERE m.campaign_id = %s
"""
_RECENT_SQL = """
    SELECT m.campaign_id FROM metrics_campaignmetrics m JOIN campaigns_campaign c ON c.id = m.campaign_id
    WHERE m.updated_at >= %s OR c.status IN ('sending', 'paused') ORDER BY m.campaign_id
"""


def _observe(campaign_id: int) -> tuple[dict[str, int], dict[str, int]] | None:
    """(counters, what the rows say they should be), or None when the campaign has no counters."""
    with connection.cursor() as cursor:
        cursor.execute(_OBSERVE_SQL, [HELD_BATCH_NO, campaign_id, campaign_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    counters = dict(zip(COUNTERS, rows[0][:7], strict=True))
    expected = counters_for_states({row[7]: row[8] for row in rows if row[7] is not None})
    expected["held"] = sum(int(row[9] or 0) for row in rows if row[7] is not None)
    return counters, expected


def _repair(campaign_id: int) -> dict[str, tuple[int, int]]:
    """Under the counters' row lock (writers wait, so the rows are read after their commit), set the
    counters to what the rows say; returns {counter: (was, now)} of what changed."""
    with transaction.atomic():
        locked = CampaignMetrics.objects.select_for_update().filter(campaign_id=campaign_id)
        if not list(locked.values_list("campaign_id", flat=True)):
            return {}
        counters, expected = _observe(campaign_id)
        drift = {name: (counters[name], expected[name]) for name in COUNTERS if counters[name] != expected[name]}
        if drift:
            CampaignMetrics.objects.filter(campaign_id=campaign_id).update(**expected, updated_at=Now())
            logger.error("metrics drift repaired on campaign %s (counter: (was, rows)): %s", campaign_id, drift)
    return drift


def metrics_reconcile(*, campaign_ids: Iterable[int] | None = None) -> dict[int, dict[str, tuple[int, int]]]:
    """Compare each campaign's counters (default: every campaign that has them) with one GROUP BY over its
    recipients and repair drift in a row-locked transaction. The comparison itself takes no lock (one
    snapshot is consistent, since writers move rows and counters in one transaction), so writers are
    only held up when there is drift. Returns {campaign_id: {counter: (was, now)}} of the repairs."""
    if campaign_ids is None:
        campaign_ids = CampaignMetrics.objects.values_list("campaign_id", flat=True)
    repaired = {}
    for campaign_id in sorted(campaign_ids):
        seen = _observe(campaign_id)
        if seen is None or seen[0] == seen[1]:
            continue
        drift = _repair(campaign_id)
        if drift:
            repaired[campaign_id] = drift
    return repaired


def campaigns_to_reconcile(*, changed_since: datetime) -> list[int]:
    """Campaigns whose counters moved since `changed_since`, or that are sending or paused."""
    with connection.cursor() as cursor:
        cursor.execute(_RECENT_SQL, [changed_since])
        return [row[0] for row in cursor.fetchall()]
