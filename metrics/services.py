"""Moving campaign counters. Callers pass the transitions that actually happened, inside the transaction
that made them happen, so the counters move with the rows or not at all."""

from collections.abc import Mapping

from django.db import connection
from django.utils import timezone

from metrics.models import CampaignMetrics

# Which counters a recipient in each state adds to. `sent` includes delivered messages.
_STATE_COUNTERS = {
    "queued": ("queued",),
    "sent": ("sent",),
    "delivered": ("sent", "delivered"),
    "failed": ("failed",),
    "cancelled": ("cancelled",),
}
COUNTERS = ("total", "queued", "sent", "delivered", "failed", "cancelled", "held")


def deltas_for_transitions(transitions: Mapping[tuple[str, str], int]) -> dict[str, int]:
    """Counter deltas for `{(from_state, to_state): count}`; e.g. ("sent", "failed") → sent -n, failed +n."""
    deltas = dict.fromkeys(COUNTERS, 0)
    for (before, after), count in transitions.items():
        for name in _STATE_COUNTERS[before]:
            deltas[name] -= count
        for name in _STATE_COUNTERS[after]:
            deltas[name] += count
    return {name: value for name, value in deltas.items() if value}


def counters_for_states(counts: Mapping[str, int]) -> dict[str, int]:
    """The counters (all but `held`) that recipients counted per state, `{state: n}`, add up to."""
    counters = dict.fromkeys(COUNTERS, 0)
    for state, count in counts.items():
        counters["total"] += count
        for name in _STATE_COUNTERS[state]:
            counters[name] += count
    return counters


def metrics_create(*, campaign_id: int, total: int) -> None:
    """The counters of a freshly enqueued campaign: every recipient queued."""
    CampaignMetrics.objects.update_or_create(
        campaign_id=campaign_id,
        defaults={"total": total, "queued": total, "sent": 0, "delivered": 0, "failed": 0, "cancelled": 0, "held": 0},
    )


# One static statement (no ORM compilation): this runs on every delivery-report post.
_APPLY_SQL = (
    f"UPDATE {CampaignMetrics._meta.db_table} SET "
    + ", ".join(f"{name} = {name} + %s" for name in COUNTERS)
    + ", updated_at = %s WHERE campaign_id = %s"
)


def metrics_apply(*, campaign_id: int, deltas: Mapping[str, int]) -> None:
    """Add `deltas` (counter name → change) to the campaign's counters in one UPDATE; `updated_at` moves
    with them so reconciliation can find the campaigns that changed lately."""
    unknown = set(deltas) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown counters: {sorted(unknown)}")
    values = [deltas.get(name, 0) for name in COUNTERS]
    if any(values):
        with connection.cursor() as cursor:
            cursor.execute(_APPLY_SQL, [*values, timezone.now(), campaign_id])


def metrics_apply_transitions(*, campaign_id: int, transitions: Mapping[tuple[str, str], int]) -> None:
    metrics_apply(campaign_id=campaign_id, deltas=deltas_for_transitions(transitions))


def transitions_update_sql(*, source: str, columns: Mapping[tuple[str, str], str]) -> str:
    """PostgreSQL UPDATE moving the counters by per-campaign transition counts held in the relation `source`
    (a column `campaign_id` and, per transition, the column `columns[transition]`): the arithmetic of
    metrics_apply_transitions for callers that move recipients and counters in one statement (a
    data-modifying CTE). `source` should be ordered by campaign_id, so concurrent callers lock alike."""
    terms: dict[str, list[str]] = {}
    for transition, column in columns.items():
        for name, change in deltas_for_transitions({transition: 1}).items():
            terms.setdefault(name, []).append(f"({change}) * s.{column}")
    assignments = ", ".join(f"{name} = m.{name} + " + " + ".join(parts) for name, parts in terms.items())
    return (
        f"UPDATE {CampaignMetrics._meta.db_table} AS m SET {assignments}, updated_at = now() "
        f"FROM {source} AS s WHERE m.campaign_id = s.campaign_id"
    )
