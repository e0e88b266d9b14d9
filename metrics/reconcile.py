"""Repairing the counters when they drifted from the truth.

Campaigns are known here by id only. The owner of the recipients (campaigns.services.sending.reconcile)
counts them and tells these functions, through an `observe` callable, what each campaign's counters are and
what they should be; this module decides whether they drifted and repairs them under the counters' row lock.
Drift is a bug in whatever moved a recipient without its counters: it is repaired and logged as an error with
the numbers.
"""

import logging
from collections.abc import Callable, Iterable, Mapping

from django.db import transaction
from django.db.models.functions import Now

from metrics.models import CampaignMetrics
from metrics.services import COUNTERS, counters_for_states

logger = logging.getLogger(__name__)

# (the counters as stored, what the rows say they should be); None: the campaign has no counters.
Observation = tuple[dict[str, int], dict[str, int]] | None


def counters_expected(*, states: Mapping[str, int], held: int) -> dict[str, int]:
    """The counters that recipients counted per state (`{state: n}`, states as in metrics.services) and
    `held` of them add up to."""
    return {**counters_for_states(states), "held": held}


def _repair(campaign_id: int, observe: Callable[[int], Observation]) -> dict[str, tuple[int, int]]:
    """Under the counters' row lock (writers wait, so the rows are read after their commit), set the
    counters to what the rows say; returns {counter: (was, now)} of what changed."""
    with transaction.atomic():
        locked = CampaignMetrics.objects.select_for_update().filter(campaign_id=campaign_id)
        if not list(locked.values_list("campaign_id", flat=True)):
            return {}
        counters, expected = observe(campaign_id)
        drift = {name: (counters[name], expected[name]) for name in COUNTERS if counters[name] != expected[name]}
        if drift:
            CampaignMetrics.objects.filter(campaign_id=campaign_id).update(**expected, updated_at=Now())
            logger.error("metrics drift repaired on campaign %s (counter: (was, rows)): %s", campaign_id, drift)
    return drift


def metrics_reconcile(
    *, observe: Callable[[int], Observation], campaign_ids: Iterable[int] | None = None
) -> dict[int, dict[str, tuple[int, int]]]:
    """Compare each campaign's counters (default: every campaign that has them) with what `observe` says
    the rows add up to, and repair drift in a row-locked transaction (observing again under the lock). The
    comparison itself takes no lock (`observe` reads counters and rows in one snapshot, and writers move
    rows and counters in one transaction), so writers are only held up when there is drift. Returns
    {campaign_id: {counter: (was, now)}} of the repairs."""
    if campaign_ids is None:
        campaign_ids = CampaignMetrics.objects.values_list("campaign_id", flat=True)
    repaired = {}
    for campaign_id in sorted(campaign_ids):
        seen = observe(campaign_id)
        if seen is None or seen[0] == seen[1]:
            continue
        drift = _repair(campaign_id, observe)
        if drift:
            repaired[campaign_id] = drift
    return repaired
