"""Set-based SQL of the send path. PostgreSQL is the production database; SQLite (the embedded demo)
gets an equivalent statement where PostgreSQL's differs. Every function runs in the caller's transaction.
"""

import json
from collections.abc import Iterator, Sequence
from datetime import datetime

from django.db import connection


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _tags_where(*, shop_id: int, tags: Sequence[str]) -> tuple[str, list]:
    """WHERE clause over campaigns_contact for a shop's contacts with any of `tags` (all when it is empty)."""
    where = "shop_id = %s"
    params: list = [shop_id]
    if tags and _postgres():
        where += " AND tags ?| %s"
        params.append(list(tags))
    elif tags:
        marks = ", ".join(["%s"] * len(tags))
        where += f" AND EXISTS (SELECT 1 FROM json_each(campaigns_contact.tags) WHERE json_each.value IN ({marks}))"
        params.extend(tags)
    return where, params


CONSENTING = "sms_consent AND opted_out_at IS NULL"
# A contact of the shop that got a campaign message (any campaign of the shop) since the cut-off. Only
# campaigns still running or finished since then are looked at; (campaign, phone) is unique and indexed.
_MESSAGED_SINCE = """EXISTS (
    SELECT 1 FROM campaigns_campaignrecipient fr JOIN campaigns_campaign fc ON fc.id = fr.campaign_id
    WHERE fc.shop_id = campaigns_contact.shop_id AND (fc.finished_at IS NULL OR fc.finished_at >= %s)
      AND fr.phone = campaigns_contact.phone AND fr.sent_at >= %s)"""


def _capped(cap_since: datetime | None) -> tuple[str, list]:
    """SQL condition true for contacts the frequency cap excludes (never true when the cap is off)."""
    if cap_since is None:
        return "FALSE", []
    return _MESSAGED_SINCE, [cap_since, cap_since]


def _audience_where(*, shop_id: int, tags: Sequence[str], cap_since: datetime | None) -> tuple[str, list]:
    """WHERE clause over campaigns_contact for a shop's consenting, not opted-out contacts with any of `tags`
    (every such contact when `tags` is empty), minus those messaged since `cap_since` (the frequency cap)."""
    where, params = _tags_where(shop_id=shop_id, tags=tags)
    capped, cap_params = _capped(cap_since)
    return f"{where} AND {CONSENTING} AND NOT {capped}", [*params, *cap_params]


def audience_breakdown(*, shop_id: int, tags: Sequence[str], cap_since: datetime | None) -> dict[str, int]:
    """The audience's contacts by what becomes of them at enqueue, in one query: `messaged` (what
    recipients_materialise inserts), and the excluded ones by reason `no_consent`, `opted_out`,
    `frequency_cap`."""
    where, params = _tags_where(shop_id=shop_id, tags=tags)
    capped, cap_params = _capped(cap_since)
    sql = f"""
        SELECT
            COALESCE(SUM(CASE WHEN {CONSENTING} AND NOT {capped} THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN NOT sms_consent AND opted_out_at IS NULL THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN opted_out_at IS NOT NULL THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN {CONSENTING} AND {capped} THEN 1 ELSE 0 END), 0)
        FROM campaigns_contact WHERE {where}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*cap_params, *cap_params, *params])
        row = cursor.fetchone()
    return dict(zip(("messaged", "no_consent", "opted_out", "frequency_cap"), (int(v) for v in row), strict=True))


def audience_zone_groups(
    *, shop_id: int, tags: Sequence[str], cap_since: datetime | None, digits: int
) -> list[tuple[str, str, int]]:
    """The messaged audience (what recipients_materialise would insert) counted by (contact time zone, the
    first `digits` digits of the phone after its '+'), in one GROUP BY: a few hundred rows for any audience."""
    where, params = _audience_where(shop_id=shop_id, tags=tags, cap_since=cap_since)
    sql = f"""
        SELECT COALESCE(timezone, ''), substr(phone, 2, %s), count(*) FROM campaigns_contact WHERE {where}
        GROUP BY 1, 2
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [digits, *params])
        return [(zone, prefix, int(n)) for zone, prefix, n in cursor.fetchall()]


def audience_phones_streamed(
    *, shop_id: int, tags: Sequence[str], cap_since: datetime | None, digits: int, prefixes: Sequence[str],
    chunk: int = 5000,
) -> Iterator[list[tuple[str, str]]]:
    """(contact time zone, phone) of the messaged audience whose first `digits` phone digits are one of
    `prefixes`, in chunks through a server-side cursor (PostgreSQL): never the whole audience in memory."""
    where, params = _audience_where(shop_id=shop_id, tags=tags, cap_since=cap_since)
    if _postgres():
        match, match_params = "substr(phone, 2, %s) = ANY(%s)", [digits, list(prefixes)]
    else:
        match = f"substr(phone, 2, %s) IN ({', '.join(['%s'] * len(prefixes))})"
        match_params = [digits, *prefixes]
    sql = f"SELECT COALESCE(timezone, ''), phone FROM campaigns_contact WHERE {where} AND {match}"
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [*params, *match_params])
        while rows := cursor.fetchmany(chunk):
            yield rows


def recipients_materialise(
    *, campaign_id: int, shop_id: int, tags: Sequence[str], batch_size: int, cap_since: datetime | None = None,
    fresh: bool = False,
) -> int:
    """Insert one queued recipient per audience contact, numbered 0, 1, … into batches of `batch_size` (in
    no particular order: sorting a million rows would cost more than it gives), in one INSERT … SELECT; a
    phone already in the campaign is skipped. `fresh` (the campaign has no recipient yet, and contacts are
    unique per shop and phone) drops the conflict check, which costs about a fifth of a million-row insert;
    the unique constraint still guards it. Returns the rows inserted."""
    where, params = _audience_where(shop_id=shop_id, tags=tags, cap_since=cap_since)
    on_conflict = "" if fresh else "ON CONFLICT (campaign_id, phone) DO NOTHING"
    sql = f"""
        INSERT INTO campaigns_campaignrecipient
            (campaign_id, contact_id, phone, batch_no, status, retry_count, error)
        SELECT %s, id, phone, (row_number() OVER () - 1) / %s, 'queued', 0, ''
        FROM campaigns_contact WHERE {where}
        {on_conflict}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, batch_size, *params])
        return cursor.rowcount


def batches_create_counted(*, campaign_id: int, now: datetime) -> int:
    """One queued Batch row per batch number of the campaign's queued recipients, sized by its row count
    (recipients held for quiet hours are in no batch)."""
    return batches_create_from(campaign_id=campaign_id, first=0, now=now)


def batches_create_from(*, campaign_id: int, first: int, now: datetime) -> int:
    """Queued Batch rows for the campaign's queued recipients numbered `first` and above (released ones)."""
    sql = """
        INSERT INTO campaigns_batch
            (campaign_id, number, size, status, attempts, provider_bulk_id, accepted, rejected, error,
             created_at, updated_at)
        SELECT campaign_id, batch_no, count(*), 'queued', 0, '', 0, 0, '', %s, %s
        FROM campaigns_campaignrecipient WHERE campaign_id = %s AND status = 'queued' AND batch_no >= %s
        GROUP BY campaign_id, batch_no
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, campaign_id, first])
        return cursor.rowcount


def batches_create_numbered(*, campaign_id: int, recipients: int, batch_size: int, now: datetime) -> int:
    """Batch rows 0 … ⌈recipients / batch_size⌉ - 1, all full but the last: right when the recipients were
    numbered 0 … recipients - 1 without gaps (no row of the INSERT was skipped)."""
    count = -(-recipients // batch_size)
    sql = """
        INSERT INTO campaigns_batch
            (campaign_id, number, size, status, attempts, provider_bulk_id, accepted, rejected, error,
             created_at, updated_at)
        SELECT %s, n, LEAST(%s, %s - n * %s), 'queued', 0, '', 0, 0, '', %s, %s FROM generate_series(0, %s) AS n
    """
    if connection.vendor != "postgresql":
        return batches_create_counted(campaign_id=campaign_id, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, batch_size, recipients, batch_size, now, now, count - 1])
        return cursor.rowcount


def batch_recipients(*, campaign_id: int, batch_no: int) -> list[tuple]:
    """(id, phone, first_name, last_name, may_message, contact time zone) of the batch's queued recipients,
    in id order, in one query. `may_message` is the send-time consent check: false when the contact has
    withdrawn consent or opted out since enqueue, or was deleted (its consent is no longer on record)."""
    sql = """
        SELECT r.id, r.phone, c.first_name, c.last_name,
               COALESCE(c.sms_consent AND c.opted_out_at IS NULL, FALSE), COALESCE(c.timezone, '')
        FROM campaigns_campaignrecipient r
        LEFT JOIN campaigns_contact c ON c.id = r.contact_id
        WHERE r.campaign_id = %s AND r.batch_no = %s AND r.status = 'queued' ORDER BY r.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, batch_no])
        return cursor.fetchall()


def recipients_cancel_queued(*, ids: Sequence[int], error: str) -> int:
    """Move the still-queued recipients among `ids` to `cancelled` with `error`, in one statement."""
    if not ids:
        return 0
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        UPDATE campaigns_campaignrecipient SET status = 'cancelled', error = %s
        WHERE id IN ({marks}) AND status = 'queued'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [error, *ids])
        return cursor.rowcount


def recipients_set_status(
    *, status: str, ids: Sequence[int], message_ids: Sequence[str | None], errors: Sequence[str], at: datetime
) -> int:
    """Move the still-queued recipients among `ids` to `status` (sent, delivered or failed), storing each
    one's message id and error, in one statement. Returns how many actually moved."""
    if not ids:
        return 0
    sent_at = at if status in ("sent", "delivered") else None
    delivered_at = at if status == "delivered" else None
    if _postgres():
        # One JSON parameter: encoding 5000 rows as JSON is several times cheaper than as three arrays.
        sql = """
            UPDATE campaigns_campaignrecipient AS r
            SET status = %s, mitto_message_id = COALESCE(v.msgid, r.mitto_message_id), error = v.error,
                sent_at = COALESCE(%s, r.sent_at), delivered_at = COALESCE(%s, r.delivered_at)
            FROM json_to_recordset(%s::json) AS v(id bigint, msgid text, error text)
            WHERE r.id = v.id AND r.status = 'queued'
        """
        rows = json.dumps([
            {"id": rid, "msgid": msgid, "error": error}
            for rid, msgid, error in zip(ids, message_ids, errors, strict=True)
        ])
        with connection.cursor() as cursor:
            cursor.execute(sql, [status, sent_at, delivered_at, rows])
            return cursor.rowcount
    sql = """
        UPDATE campaigns_campaignrecipient
        SET status = %s, mitto_message_id = COALESCE(%s, mitto_message_id), error = %s,
            sent_at = COALESCE(%s, sent_at), delivered_at = COALESCE(%s, delivered_at)
        WHERE id = %s AND status = 'queued'
    """
    rows = [
        (status, msgid, error, sent_at, delivered_at, rid)
        for rid, msgid, error in zip(ids, message_ids, errors, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        return cursor.rowcount
