"""Who an audience is, in set-based SQL over the shop's contacts: the consenting, not opted-out contacts with
any of the audience's tags, minus the frequency cap; counted by reason and priced (the pre-flight), grouped by
phone prefix (its quiet-hours count), streamed, or inserted as a campaign's recipients (enqueue). PostgreSQL is
the production database; SQLite (the embedded demo) gets an equivalent statement where PostgreSQL's differs. Every
function runs in the caller's transaction.
"""

from collections.abc import Iterator, Sequence
from datetime import datetime

from django.db import connection

from campaigns.services.billing.moved import Moved, moved_by


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


def audience_breakdown(
    *, shop_id: int, tags: Sequence[str], cap_since: datetime | None, segments: tuple[str, list] = ("0", [])
) -> dict[str, int]:
    """The audience's contacts by what becomes of them at enqueue, in one query: `messaged` (what
    recipients_materialise inserts), the excluded ones by reason `no_consent`, `opted_out`,
    `frequency_cap`, and `credits`: the sum over the messaged of `segments`, an SQL expression over the
    contact row and its parameters (billing.pricing.segments_sql; 0 when not given)."""
    where, params = _tags_where(shop_id=shop_id, tags=tags)
    capped, cap_params = _capped(cap_since)
    expression, expression_params = segments
    sql = f"""
        SELECT
            COALESCE(SUM(CASE WHEN {CONSENTING} AND NOT {capped} THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN NOT sms_consent AND opted_out_at IS NULL THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN opted_out_at IS NOT NULL THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN {CONSENTING} AND {capped} THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN {CONSENTING} AND NOT {capped} THEN {expression} ELSE 0 END), 0)
        FROM campaigns_contact WHERE {where}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*cap_params, *cap_params, *cap_params, *expression_params, *params])
        row = cursor.fetchone()
    names = ("messaged", "no_consent", "opted_out", "frequency_cap", "credits")
    return dict(zip(names, (int(v) for v in row), strict=True))


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
    *, campaign_id: int, shop_id: int, tags: Sequence[str], batch_size: int, segments: tuple[str, list],
    cap_since: datetime | None = None, fresh: bool = False,
) -> Moved:
    """Insert one queued recipient per audience contact, numbered 0, 1, … into batches of `batch_size` (in
    no particular order: sorting a million rows would cost more than it gives), each priced by `segments`
    (an SQL expression over the contact row and its parameters: billing.pricing.segments_sql), in one
    INSERT … SELECT; a phone already in the campaign is skipped. `fresh` (the campaign has no recipient
    yet, and contacts are unique per shop and phone) drops the conflict check, which costs about a fifth of
    a million-row insert; the unique constraint still guards it. Returns the rows inserted and the sum of
    their segments."""
    where, params = _audience_where(shop_id=shop_id, tags=tags, cap_since=cap_since)
    expression, expression_params = segments
    on_conflict = "" if fresh else "ON CONFLICT (campaign_id, phone) DO NOTHING"
    sql = f"""
        INSERT INTO campaigns_campaignrecipient
            (campaign_id, contact_id, phone, batch_no, status, retry_count, error, segments)
        SELECT %s, id, phone, (row_number() OVER () - 1) / %s, 'queued', 0, '', {expression}
        FROM campaigns_contact WHERE {where}
        {on_conflict}
        RETURNING segments
    """
    return moved_by(sql, [campaign_id, batch_size, *expression_params, *params])
