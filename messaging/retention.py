"""Retention of the provider edge's own rows: message logs (test sends, automatic replies, inbound SMS) and
delivery reports that never matched, older than a cut-off, removed oldest first in bounded chunks."""

import time
from datetime import datetime

from django.db import connection

# (table, time column): both tables are append-only, so their ids follow their times.
TABLES = (("messaging_messagelog", "created_at"), ("messaging_unmatchedreport", "received_at"))


def _chunk_delete(*, table: str, column: str, before: datetime, after_id: int, rows: int) -> tuple[int, int]:
    """Of the next `rows` rows by id after `after_id`, delete those older than `before`: (how many, the chunk's
    last id). The ids are walked on the primary key, so no index on the time column is needed, a table with
    nothing old costs one short index scan, and rows already deleted in this run are not walked again."""
    query = f"""
        WITH chunk AS (SELECT id, {column} AS at FROM {table} WHERE id > %s ORDER BY id LIMIT %s),
        gone AS (DELETE FROM {table} WHERE id IN (SELECT id FROM chunk WHERE at < %s) RETURNING id)
        SELECT (SELECT count(*) FROM gone), (SELECT coalesce(max(id), 0) FROM chunk)
    """
    with connection.cursor() as cursor:
        cursor.execute(query, [after_id, rows, before])
        return cursor.fetchone()


def provider_rows_purge(*, before: datetime, chunk_rows: int, deadline: float) -> dict[str, int]:
    """Remove message logs and unmatched reports older than `before`, `chunk_rows` per statement (each its own
    transaction, so no lock is held long), until none is left or `time.monotonic()` passes `deadline`.
    Returns the rows removed per table."""
    removed = {}
    for table, column in TABLES:
        removed[table], last_id = 0, 0
        while time.monotonic() < deadline:
            count, last_id = _chunk_delete(table=table, column=column, before=before, after_id=last_id,
                                           rows=chunk_rows)
            removed[table] += count
            if count < chunk_rows:  # a newer row, or the table's end: what follows is newer still
                break
    return removed
