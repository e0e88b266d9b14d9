"""Applying Mitto's delivery reports to recipients and counters.

A report moves a recipient forward only: `sent → delivered | failed`, never back, so repeated, reordered
and late reports are harmless. A report whose message id matches no recipient yet is kept in
messaging.UnmatchedReport and applied by `unmatched_reports_reapply` once the id appears (the report
overtook the commit that stored it), or read by the send pipeline to resolve `unknown` batches by
reference.

Lock order: see campaigns.services.locks (shops to refund first, then recipients → counters).
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from campaigns.services.billing.ledger import credits_refund_failed
from campaigns.services.locks import shops_lock
from campaigns.services.reports import delivery_rows
from messaging.models import UnmatchedReport

logger = logging.getLogger(__name__)

FINAL_OUTCOMES = ("delivered", "failed")
# Rows the send pipeline may still read to resolve unknown batches are kept at least this long.
UNMATCHED_MIN_RETENTION = timedelta(hours=24)
UNMATCHED_RETENTION = timedelta(days=7)
# Only reports received this recently are tried again; older ones wait for the purge.
UNMATCHED_REAPPLY_WINDOW = timedelta(hours=24)
UNMATCHED_REAPPLY_LIMIT = 5000
DEADLOCK_SQLSTATE = "40P01"
DEADLOCK_ATTEMPTS = 3

T = TypeVar("T")


class Report(Protocol):
    """What a parsed delivery report offers (messaging.reports.DeliveryReport)."""

    message_id: str
    outcome: str | None
    raw_status: str
    reference: str | None
    error: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class ApplyResult:
    """Of the reports received: `applied` moved a recipient, `unknown` (distinct message ids) matched no
    recipient yet and were stored, `ignored` changed nothing (duplicates, not final, already final)."""

    applied: int = 0
    unknown: int = 0
    ignored: int = 0


def collapse_reports(reports: Iterable[Report]) -> dict[str, Report]:
    """One report per message id: the first final one in payload order, else the first one.

    This is what applying the reports one at a time would do, since the first final outcome wins.
    """
    collapsed: dict[str, Report] = {}
    for report in reports:
        current = collapsed.get(report.message_id)
        if current is None or (report.outcome in FINAL_OUTCOMES and current.outcome not in FINAL_OUTCOMES):
            collapsed[report.message_id] = report
    return collapsed


def _store_unmatched(reports: Sequence[Report]) -> int:
    """Keep the reports whose id matched no recipient, or whose final outcome found its recipient not
    yet `sent` (its row committed after our UPDATE looked); return how many were kept."""
    states = delivery_rows.recipient_states([report.message_id for report in reports])
    kept = [
        report
        for report in reports
        if report.message_id not in states
        or (report.outcome in FINAL_OUTCOMES and states[report.message_id] in ("queued", "sent"))
    ]
    UnmatchedReport.objects.bulk_create(
        [
            UnmatchedReport(
                message_id=report.message_id[:64],
                reference=(report.reference or "")[:64],
                outcome=report.outcome or "",
                error=delivery_rows.failure_text(report) if report.outcome == "failed" else (report.error or "")[:255],
                reported_at=report.updated_at,
            )
            for report in kept
        ]
    )
    if kept:
        logger.warning("%d delivery report(s) matched no sent recipient; kept for later", len(kept))
    return len(kept)


def _lock_refunded_shops(finals: Sequence[Report]) -> None:
    """The lock order puts shops first: before recipients move, lock (in id order) the shops whose credits a
    failed outcome will refund. A payload of delivered outcomes only refunds nothing and locks no shop."""
    failed = [report.message_id for report in finals if report.outcome == "failed"]
    if failed:
        shops_lock(shop_ids=delivery_rows.shops_of_sent(failed))


def delivery_reports_apply(*, reports: Sequence[Report]) -> ApplyResult:
    """Apply a payload of delivery reports in one transaction.

    Guarantees: each message id counts once (its first final outcome); only recipients in `sent` move,
    in one set-based UPDATE (row locks make two concurrent posts of the same reports count once); the
    counters of every campaign touched move by exactly those transitions, in the same transaction; ids
    matching no recipient are stored in UnmatchedReport and counted as unknown, never an error.
    """
    if not reports:
        return ApplyResult()
    collapsed = collapse_reports(reports)
    applied, unknown = retry_on_deadlock(lambda: _apply(collapsed))
    return ApplyResult(applied=applied, unknown=unknown, ignored=len(reports) - applied - unknown)


def _apply(collapsed: dict[str, Report]) -> tuple[int, int]:
    finals = [report for report in collapsed.values() if report.outcome in FINAL_OUTCOMES]
    with transaction.atomic():
        _lock_refunded_shops(finals)
        changed = delivery_rows.recipients_report(finals, now=timezone.now())
        _refund_failed(changed)
        unknown = 0
        if len(changed) < len(collapsed):
            moved = {message_id for _campaign_id, _status, message_id, _segments in changed}
            unknown = _store_unmatched([r for r in collapsed.values() if r.message_id not in moved])
    return len(changed), unknown


def _refund_failed(changed: Sequence[tuple[int, str, str, int]]) -> None:
    """Messages moved `sent → failed` were debited their segments when Mitto accepted them: refund each one's
    segments in this transaction."""
    failed: Counter = Counter()
    for campaign_id, status, _message_id, segments in changed:
        if status == "failed":
            failed[campaign_id] += segments
    if failed:
        credits_refund_failed(segments_by_campaign=failed)


def retry_on_deadlock(work: Callable[[], T], *, attempts: int = DEADLOCK_ATTEMPTS) -> T:
    """Run `work` (one transaction) again when PostgreSQL broke a deadlock by aborting it, as it advises:
    two payloads whose rows overlap may lock them in different orders when their plans differ. Inside an
    outer transaction nothing can be retried, so the error is raised."""
    attempt = 1
    while True:
        try:
            return work()
        except OperationalError as exc:
            deadlock = getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_SQLSTATE
            if not deadlock or attempt == attempts or connection.in_atomic_block:
                raise
            logger.warning("deadlock while applying delivery reports (attempt %d of %d); retrying", attempt, attempts)
            attempt += 1


@dataclass(frozen=True)
class _StoredReport:
    """An UnmatchedReport row read back as a Report (its error already says why it failed)."""

    message_id: str
    outcome: str | None
    reference: str
    error: str
    updated_at: datetime | None
    raw_status: str = ""


def unmatched_reports_reapply(*, now: datetime | None = None) -> int:
    """Apply the stored reports whose message id now belongs to a recipient, and drop them (they are
    resolved); reports still matching nothing stay for the send pipeline and the purge. Returns the
    number of recipients moved. One transaction; rows another run holds are skipped."""
    now = now or timezone.now()
    found, moved = retry_on_deadlock(lambda: _reapply(now))
    if found:
        logger.info("re-applied %d stored delivery report(s): %d recipient(s) moved", found, moved)
    return moved


def _reapply(now: datetime) -> tuple[int, int]:
    with transaction.atomic():
        rows = delivery_rows.unmatched_now_known(since=now - UNMATCHED_REAPPLY_WINDOW, limit=UNMATCHED_REAPPLY_LIMIT)
        stored = [_StoredReport(*row[1:]) for row in rows]
        finals = [r for r in collapse_reports(stored).values() if r.outcome in FINAL_OUTCOMES]
        _lock_refunded_shops(finals)
        changed = delivery_rows.recipients_report(finals, now=now)
        _refund_failed(changed)
        UnmatchedReport.objects.filter(id__in=[row[0] for row in rows]).delete()
    return len(rows), len(changed)


def unmatched_reports_purge(*, now: datetime | None = None, retention: timedelta = UNMATCHED_RETENTION) -> int:
    """Delete stored reports older than `retention` (never less than 24 h, so the send pipeline can still
    resolve unknown batches by reference within its review window). Returns the rows deleted."""
    cutoff = (now or timezone.now()) - max(retention, UNMATCHED_MIN_RETENTION)
    deleted, _ = UnmatchedReport.objects.filter(received_at__lt=cutoff).delete()
    if deleted:
        logger.warning("purged %d delivery report(s) that never matched a recipient", deleted)
    return deleted
