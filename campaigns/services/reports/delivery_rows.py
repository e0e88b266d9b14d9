"""Recipients moved by delivery reports, set-based (for reports/delivery.py). PostgreSQL binds the whole payload
as a few arrays and moves the recipients and their campaigns' counters in one statement; SQLite (the embedded
demo) runs the same UPDATE … FROM over VALUES in chunks and moves the counters after it. Every function runs in
the caller's transaction. Lock order: see
campaigns.services.locks."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef

from campaigns.models import CampaignRecipient
from config.observability.metrics import after_commit, observe_messages, observe_report_lags
from messaging.models import UnmatchedReport
from metrics.services import metrics_apply_transitions, transitions_update_sql

_SQLITE_CHUNK = 200

# The counters move in the same statement as the rows (one round trip per payload): a grouped CTE only
# yields rows once every recipient row is updated, so row locks are always taken before counter locks.
_UPDATE_PG = f"""
    WITH moved AS (
        UPDATE campaigns_campaignrecipient AS r
        SET status = v.status,
            delivered_at = CASE WHEN v.status = 'delivered' THEN v.at ELSE r.delivered_at END,
            error = CASE WHEN v.status = 'failed' THEN v.error ELSE r.error END
        FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::text[]) AS v(msgid, status, at, error)
        WHERE r.mitto_message_id = v.msgid AND r.status = 'sent'
        RETURNING r.campaign_id, r.status, r.mitto_message_id, r.segments, r.sent_at
    ), moved_per_campaign AS (
        SELECT campaign_id, count(*) FILTER (WHERE status = 'delivered') AS delivered,
               count(*) FILTER (WHERE status = 'failed') AS failed
        FROM moved GROUP BY campaign_id ORDER BY campaign_id
    ), counters AS (
        {transitions_update_sql(
            source="moved_per_campaign", columns={("sent", "delivered"): "delivered", ("sent", "failed"): "failed"}
        )}
    )
    SELECT campaign_id, status, mitto_message_id, segments,
           EXTRACT(EPOCH FROM %s::timestamptz - sent_at)::float8 FROM moved
"""

_UPDATE_SQLITE = """
    UPDATE campaigns_campaignrecipient AS r
    SET status = v.column2,
        delivered_at = CASE WHEN v.column2 = 'delivered' THEN v.column3 ELSE r.delivered_at END,
        error = CASE WHEN v.column2 = 'failed' THEN v.column4 ELSE r.error END
    FROM (VALUES {rows}) AS v
    WHERE r.mitto_message_id = v.column1 AND r.status = 'sent'
    RETURNING campaign_id, status, mitto_message_id, segments
"""


def failure_text(report) -> str:
    """What a failed recipient's `error` says: the provider's description, else its raw status."""
    return (report.error or report.raw_status or "failed")[:255]


def _rows(reports, now: datetime) -> list[tuple[str, str, datetime, str]]:
    """(message id, new status, time, error) per report, sorted by message id so that concurrent
    payloads lock their rows in the same order (a deadlock left over is retried by the service)."""
    rows = [
        (r.message_id, r.outcome, r.updated_at or now, failure_text(r) if r.outcome == "failed" else "")
        for r in reports
    ]
    rows.sort()
    return rows


def recipients_report(reports: Sequence, *, now: datetime) -> list[tuple[int, str, str, int]]:
    """Move every `sent` recipient whose message id has a final report to that outcome (delivered_at or
    error set with it), and its campaign's counters by the same transitions; returns (campaign_id, new
    status, message id, segments) of the rows that moved. Once committed they count in `shopsms_messages_total`,
    and (PostgreSQL) their time from sending to `now` in `shopsms_delivery_report_lag_seconds`."""
    if not reports:
        return []
    rows = _rows(reports, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_UPDATE_PG, [*(list(column) for column in zip(*rows, strict=True)), now])
            moved = cursor.fetchall()
        changed = [row[:4] for row in moved]
        after_commit(observe_report_lags, [row[4] for row in moved if row[4] is not None])
    else:
        changed = _sqlite_update(rows)
        _move_counters(changed)
    outcomes = Counter(status for _campaign_id, status, _message_id, _segments in changed)
    for outcome, count in outcomes.items():
        after_commit(observe_messages, outcome, count)
    return changed


def _move_counters(changed: Sequence[tuple[int, str, str, int]]) -> None:
    """Counters follow the recipients that moved: `sent → status` per campaign, one UPDATE each."""
    per_campaign: dict[int, Counter] = {}
    for campaign_id, status, _message_id, _segments in changed:
        per_campaign.setdefault(campaign_id, Counter())[("sent", status)] += 1
    for campaign_id in sorted(per_campaign):
        metrics_apply_transitions(campaign_id=campaign_id, transitions=per_campaign[campaign_id])


def _sqlite_update(rows) -> list[tuple[int, str, str, int]]:
    with connection.cursor() as cursor:
        changed = []
        for start in range(0, len(rows), _SQLITE_CHUNK):
            chunk = rows[start : start + _SQLITE_CHUNK]
            params = []
            for message_id, status, at, error in chunk:
                params += [message_id, status, connection.ops.adapt_datetimefield_value(at), error]
            cursor.execute(_UPDATE_SQLITE.format(rows=", ".join(["(%s, %s, %s, %s)"] * len(chunk))), params)
            changed += cursor.fetchall()
        return changed


def shops_of_sent(message_ids: Sequence[str]) -> list[int]:
    """Ids of the shops whose `sent` recipients hold these message ids (one indexed query)."""
    if connection.vendor == "postgresql":
        sql = """
            SELECT DISTINCT c.shop_id FROM campaigns_campaignrecipient r
            JOIN campaigns_campaign c ON c.id = r.campaign_id
            WHERE r.mitto_message_id = ANY(%s) AND r.status = 'sent'
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(message_ids)])
            return [row[0] for row in cursor.fetchall()]
    shops = set()
    for start in range(0, len(message_ids), 500):
        chunk = list(message_ids[start : start + 500])
        sent = CampaignRecipient.objects.filter(mitto_message_id__in=chunk, status="sent")
        shops.update(sent.values_list("campaign__shop_id", flat=True))
    return sorted(shops)


def recipient_states(message_ids: Sequence[str]) -> dict[str, str]:
    """Message id → status of the recipients holding these ids."""
    states: dict[str, str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(message_ids), 500):
            chunk = list(message_ids[start : start + 500])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                "SELECT mitto_message_id, status FROM campaigns_campaignrecipient "
                f"WHERE mitto_message_id IN ({marks})",
                chunk,
            )
            states.update(cursor.fetchall())
    return states


def unmatched_now_known(*, since: datetime, limit: int) -> list[tuple]:
    """Stored reports received since `since` whose message id now belongs to a recipient, oldest first,
    locked (rows another run holds are skipped): (id, message_id, outcome, reference, error, reported_at)."""
    known = CampaignRecipient.objects.filter(mitto_message_id=OuterRef("message_id"))
    return list(
        UnmatchedReport.objects.filter(Exists(known), received_at__gte=since)
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("id", "message_id", "outcome", "reference", "error", "reported_at")[:limit]
    )
