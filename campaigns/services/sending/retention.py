"""Retention: what a campaign finished more than RETENTION_DAYS ago no longer needs is removed, by beat, in
bounded chunks — its recipients (one row per message) and its batches, and the provider edge's message logs and
unmatched delivery reports of that age. Kept: the campaign row and its counters (CampaignMetrics: totals,
sent, delivered, failed — the reports' summary), the credit ledger (its rows keep their campaign; their batch
link is cleared with the batch), contacts and their consent history.

Each chunk is one short DELETE in its own transaction, so no lock is held long and a run stopped at any point
leaves nothing half-done: the next run carries on where it stopped."""

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign
from messaging.retention import provider_rows_purge

FINAL = (Campaign.Status.COMPLETED, Campaign.Status.CANCELLED, Campaign.Status.FAILED)
CHUNK_ROWS = 10_000
RUN_BUDGET_S = 120.0

# Finished before the cut-off, and still holding rows (probes of the (campaign, id) and (campaign, number) indexes).
_DUE_SQL = """
    SELECT c.id FROM campaigns_campaign c
    WHERE c.status = ANY(%s) AND c.finished_at < %s
      AND (EXISTS (SELECT 1 FROM campaigns_campaignrecipient r WHERE r.campaign_id = c.id)
           OR EXISTS (SELECT 1 FROM campaigns_batch b WHERE b.campaign_id = c.id))
    ORDER BY c.finished_at
"""
# One range of the (campaign, id) index per chunk: the chunk's last id is found first (an index-only scan), then
# the rows up to it are deleted by that range. Starting after the last id removed, the index entries of rows
# already deleted (dead until vacuum) are not walked again, which would make every chunk slower than the last.
_CHUNK_END_SQL = """
    SELECT max(id) FROM (
        SELECT id FROM campaigns_campaignrecipient WHERE campaign_id = %s AND id > %s ORDER BY id LIMIT %s
    ) chunk
"""
_RECIPIENTS_CHUNK_SQL = "DELETE FROM campaigns_campaignrecipient WHERE campaign_id = %s AND id > %s AND id <= %s"
_BATCHES_SQL = (
    "UPDATE campaigns_credittransaction SET batch_id = NULL"
    " WHERE batch_id IN (SELECT id FROM campaigns_batch WHERE campaign_id = %s)",
    "DELETE FROM campaigns_batch WHERE campaign_id = %s",
)


def _recipients_delete_chunk(*, campaign_id: int, after_id: int, rows: int) -> tuple[int, int]:
    """Delete the campaign's next `rows` recipients with ids above `after_id`: (how many, the last id)."""
    with connection.cursor() as cursor:
        cursor.execute(_CHUNK_END_SQL, [campaign_id, after_id, rows])
        last_id = cursor.fetchone()[0]
        if last_id is None:
            return 0, after_id
        cursor.execute(_RECIPIENTS_CHUNK_SQL, [campaign_id, after_id, last_id])
        return cursor.rowcount, last_id


def _batches_delete(*, campaign_id: int) -> int:
    """The campaign's batches, once its recipients are gone; the ledger rows naming them lose that link only."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_BATCHES_SQL[0], [campaign_id])
        cursor.execute(_BATCHES_SQL[1], [campaign_id])
        return cursor.rowcount


def finished_campaigns_purge(*, chunk_rows: int = CHUNK_ROWS, budget_s: float = RUN_BUDGET_S) -> dict[str, int]:
    """Remove the recipients and batches of campaigns finished (completed, cancelled, failed) more than
    RETENTION_DAYS ago, oldest first, `chunk_rows` recipients per statement, then message logs and unmatched
    reports of that age; stops between chunks once `budget_s` seconds have passed (the next run continues).
    Never touches a campaign that is not final. Returns what it removed."""
    deadline = time.monotonic() + budget_s
    before = timezone.now() - timedelta(days=settings.RETENTION_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(_DUE_SQL, [list(FINAL), before])
        due = [row[0] for row in cursor.fetchall()]
    removed = {"campaigns": 0, "recipients": 0, "batches": 0}
    for campaign_id in due:
        last_id = 0
        while time.monotonic() < deadline:
            count, last_id = _recipients_delete_chunk(campaign_id=campaign_id, after_id=last_id, rows=chunk_rows)
            removed["recipients"] += count
            if count < chunk_rows:
                removed["batches"] += _batches_delete(campaign_id=campaign_id)
                removed["campaigns"] += 1
                break
        if time.monotonic() >= deadline:
            break
    logs = provider_rows_purge(before=before, chunk_rows=chunk_rows, deadline=deadline)
    removed["message_logs"] = logs["messaging_messagelog"]
    removed["unmatched_reports"] = logs["messaging_unmatchedreport"]
    return removed
