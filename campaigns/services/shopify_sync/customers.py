"""Shopify customers applied to contacts, set-based: the rows COPYed into a temporary table, then one statement
upserts them on (shop, phone) and writes a consent event per change. Phones the statement's index probe finds
nowhere in the shop (all of a first sync's) are written by a plain INSERT, the others by `INSERT … ON CONFLICT`:
the shop's contact-write lock (contacts/upsert.py), held by every writer of its contacts, keeps another from
adding one of those phones meanwhile. Serves the syncs (thousands of rows a chunk) and the customer webhooks
(one row); a bulk chunk made as new contacts is written by customers_new.py's COPY where the shop has none of its
phones or customers, which comes to the same. On PostgreSQL; the same rules for other databases (the demo's
SQLite) are in customers_portable.py, and customers/delete needs PostgreSQL.

The rules, per row:
- Consent: only `subscribed` gives consent; `unsubscribed`/`redacted` withdraw it; `pending`, `not_subscribed`
  and a customer without consent data change nothing. A consent state whose consent time is not newer than the
  one already applied (`shopify_consent_at`) changes nothing, so a repeated or older delivery is harmless.
- Precedence (API.md "Consent: who may change it"): the rule of `contacts.consent.stop_outranked`, set-based: a
  reply STOP (`reply_opted_out_at`) wins over a `subscribed` whose consent time is not after it; one dated after
  it gives consent back and clears the STOP, as `contacts.consent.consent_apply` does for one contact.
- Names and the customer id: applied only from a customer state newer than the one applied (`shopify_updated_at`).
- Only rows whose values change are written, so a re-sync of an unchanged shop writes nothing.
- A phone erased on the customer's request (suppression.py) is left out, counted as skipped.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection

from campaigns.models import ConsentEvent, Contact, Shop
from campaigns.phones import PhoneError, phone_normalise
from campaigns.services.contacts.consent import SHOPIFY_SOURCE
from campaigns.services.contacts.suppression import suppressed_phones
from campaigns.services.contacts.upsert import _serialise_contact_writes
from campaigns.services.shopify_sync.customers_new import NewRows, new_rows, new_rows_copy
from campaigns.services.shopify_sync.customers_portable import customers_apply_portable
from campaigns.services.shopify_sync.rows import COPY_ESCAPES, COPY_NULL, two_phone_customers
from shopify import admin
from shopify.records import Customer

# Shopify validates the phones it stores and writes them in E.164: those are taken as they are (parsing a
# million numbers would cost a minute and a half); anything else is normalised in the shop's region.
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_IN = "shopify_sync_in"
_COLUMNS = ("customer_id", "phone", "first_name", "last_name", "has_profile", "updated_at", "state", "opt_in_level",
            "consent_at", "collected_from")


@dataclass
class Applied:
    """What a call did: customers read, contacts created and changed, customers skipped without a usable phone."""

    seen: int = 0
    created: int = 0
    updated: int = 0
    skipped_no_phone: int = 0
    events: int = 0
    copy: str = ""  # customers_new.py's outcome, where the chunk was made to be written as new contacts


def customer_phone(raw: str | None, *, region: str) -> str | None:
    """The customer's phone in E.164, or None when it has none we can text."""
    if not raw:
        return None
    if _E164.fullmatch(raw):
        return raw
    try:
        return phone_normalise(raw, region=region)
    except PhoneError:
        return None


def customers_apply(*, shop: Shop, customers: Iterable[Customer], now: datetime, with_profile: bool = True
                    ) -> Applied:
    """Upsert the contacts of `customers` by the rules above and record one ConsentEvent (source `shopify`,
    detail: state, opt-in level, collected-from and Shopify's consent time) per change of whether a contact may be
    messaged. `with_profile` False: the records carry consent only (customers_marketing_consent/update), names
    are left alone. Must run inside a transaction; it holds the shop's contact-write lock until commit."""
    applied = Applied()
    rows = _rows(customers, applied, region=shop.default_region, with_profile=with_profile)
    return _rows_apply(shop=shop, rows=rows, applied=applied, now=now)


@dataclass
class ReadBlock:
    """A block of the bulk export's lines read into staging rows, without the database (the sync's reading
    thread does it while the last block is applied): the rows; made from them for the way the block is to be
    applied, either the same as COPY text and the customers among them with two phones, or their contacts and
    events as new ones (customers_new.py); and the customers seen and skipped without a phone."""

    rows: list[tuple]
    applied: Applied
    data: bytes | None = None
    two_phones: list[int] | None = None
    new: NewRows | None = None

    def for_statement(self) -> None:
        """Made for the statement rather than as new contacts."""
        self.new, self.data, self.two_phones = None, _copy_text(self.rows), two_phone_customers(self.rows)


def customer_lines_read(lines: list[bytes], *, first_number: int, region: str, as_new: bool = False) -> ReadBlock:
    """A block of the bulk export's lines (numbered from `first_number`) read by `admin.bulk_line_customer`; lines
    that are not customers are skipped (and not seen). `as_new`: made to be written as new contacts, where it
    can be (customer_lines_apply)."""
    applied = Applied()
    customers = (customer for number, line in enumerate(lines, start=first_number)
                 if (customer := admin.bulk_line_customer(line, number=number)) is not None)
    rows = _rows(customers, applied, region=region, with_profile=True)
    block = ReadBlock(rows, applied, new=new_rows(rows) if as_new else None)
    if block.new is None:
        block.for_statement()
    return block


def customer_lines_apply(*, shop: Shop, block: ReadBlock, now: datetime) -> Applied:
    """`customers_apply` for a block `customer_lines_read` made: as new contacts by COPY where it was made so and
    none of its phones or customers is in the shop (`applied.copy`), else by the statement."""
    return _rows_apply(shop=shop, rows=block.rows, data=block.data, two_phones=block.two_phones, new=block.new,
                       applied=replace(block.applied), now=now)


def _rows_apply(*, shop: Shop, rows: list[tuple], applied: Applied, now: datetime, data: bytes | None = None,
                two_phones: list[int] | None = None, new: NewRows | None = None) -> Applied:
    """Apply staging `rows` (`data`, `two_phones`, `new`: made from them beforehand, None to make the first two
    here), adding to `applied`."""
    erased = suppressed_phones(shop=shop, phones=[row[1] for row in rows])
    if erased:  # a customer erased on request (privacy.py) stays out
        applied.skipped_no_phone += sum(row[1] in erased for row in rows)
        rows, data, two_phones, new = [row for row in rows if row[1] not in erased], None, None, None
    if not rows:
        return applied
    _serialise_contact_writes(shop=shop)
    if _portable():
        applied.created, applied.updated, applied.events = customers_apply_portable(
            shop=shop, rows=rows, now=now, source=SHOPIFY_SOURCE)
        return applied
    with connection.cursor() as cursor:
        if new is not None:
            applied.copy = new_rows_copy(cursor, shop=shop, new=new, now=now)
            if applied.copy == "copied":
                applied.created, applied.events = len(new.contacts), len(new.events)
                return applied
        _staging(cursor)
        with cursor.copy(f"COPY {_IN} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            copy.write(_copy_text(rows) if data is None else data)
        _upsert(cursor, shop=shop, now=now, applied=applied,
                two_phones=two_phone_customers(rows) if two_phones is None else two_phones)
    return applied


def _rows(customers: Iterable[Customer], applied: Applied, *, region: str, with_profile: bool) -> list[tuple]:
    """The staging rows of `customers` (in `_COLUMNS` order), counting them seen or skipped without a phone."""
    rows = []
    for customer in customers:
        applied.seen += 1
        phone = customer_phone(customer.phone, region=region)
        if phone is None:
            applied.skipped_no_phone += 1
            continue
        consent = customer.consent
        rows.append((customer.customer_id, phone, customer.first_name, customer.last_name, with_profile,
                     customer.updated_at, consent and consent.state, consent and consent.opt_in_level,
                     consent and consent.updated_at, consent and consent.collected_from))
    return rows


def _copy_text(rows: list[tuple]) -> bytes:
    """`rows` as COPY text data (PostgreSQL's escapes; times with their offset), made without a connection. The
    phone is E.164 (customer_phone) and the enums one of their spellings (shopify.parsing.enum): only the names
    can hold a character COPY escapes. Written out per column: a million rows are a few seconds of the sync."""
    escapes = COPY_ESCAPES
    return "".join([
        f"{customer_id}\t{phone}\t{COPY_NULL if first is None else first.translate(escapes)}\t"
        f"{COPY_NULL if last is None else last.translate(escapes)}\t{'t' if profile else 'f'}\t"
        f"{COPY_NULL if updated is None else updated.isoformat()}\t{state or COPY_NULL}\t{level or COPY_NULL}\t"
        f"{COPY_NULL if at is None else at.isoformat()}\t{source or COPY_NULL}\n"
        for customer_id, phone, first, last, profile, updated, state, level, at, source in rows
    ]).encode()


def _upsert(cursor, *, shop: Shop, now: datetime, applied: Applied, two_phones: list[int]) -> None:
    # The planner, knowing nothing of the staging table, costs the statement past jit_above_cost: compiling it
    # took 60-90 ms a chunk (and a webhook's one row), more than running it gains. The chunk's sort of the staged
    # rows spilled to disk in the default 4 MB.
    cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
    cursor.execute(_UPSERT, {"shop": shop.pk, "now": now, "source": SHOPIFY_SOURCE, "two_phones": two_phones})
    applied.created, applied.updated, applied.events, moving = cursor.fetchone()
    if moving:
        cursor.execute(_UNLINK_MOVED, {"shop": shop.pk, "customers": moving})


def _portable() -> bool:
    """Whether the database lacks this module's statement (the demo's SQLite): customers_portable.py then."""
    return connection.vendor != "postgresql"


def customer_deleted(*, shop: Shop, customer_id: int, now: datetime) -> int:
    """customers/delete: the customer's contacts lose their link to Shopify and their consent (a withdrawal
    event each where they could be messaged); a repeat changes nothing. The contacts changed."""
    _serialise_contact_writes(shop=shop)
    with connection.cursor() as cursor:
        cursor.execute(_DELETED, {"shop": shop.pk, "customer": customer_id, "now": now, "source": SHOPIFY_SOURCE})
        return cursor.rowcount


def _staging(cursor) -> None:
    """The session's staging table, empty."""
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_IN} (customer_id bigint, phone text, first_name text, last_name text,"
        " has_profile boolean, updated_at timestamptz, state text, opt_in_level text, consent_at timestamptz,"
        " collected_from text) ON COMMIT DELETE ROWS"
    )
    cursor.execute(f"TRUNCATE {_IN}")


_CONTACT = Contact._meta.db_table
_EVENT = ConsentEvent._meta.db_table
_COMPARED = ("first_name", "last_name", "sms_consent", "consent_at", "consent_source", "opted_out_at",
             "reply_opted_out_at", "reply_opted_out_sender", "shopify_customer_id", "shopify_updated_at",
             "shopify_consent_state", "shopify_consent_at")
_INSERTED = ("shop_id, phone, first_name, last_name, tags, sms_consent, consent_at, consent_source, opted_out_at,"
             f" timezone, created_at, updated_at, {', '.join(_COMPARED[6:])}")
_INSERTED_VALUES = ("%(shop)s, phone, n_first, n_last, '[]'::jsonb, n_consent, n_consent_at, n_source, n_opted_out,"
                    " '', %(now)s, %(now)s, n_stopped, n_stopped_via, n_customer, n_updated, n_state, n_state_at")
_UPSERT = f"""
WITH src AS (
    SELECT DISTINCT ON (phone) * FROM {_IN}
    ORDER BY phone, updated_at DESC NULLS LAST, consent_at DESC NULLS LAST, customer_id DESC
), cur AS (
    SELECT s.*, c.id AS contact_id, c.first_name AS c_first, c.last_name AS c_last,
           COALESCE(c.sms_consent, false) AS c_consent, c.consent_at AS c_consent_at,
           COALESCE(c.consent_source, '') AS c_source, c.opted_out_at AS c_opted_out,
           c.reply_opted_out_at AS c_stopped, COALESCE(c.reply_opted_out_sender, '') AS c_stopped_via,
           c.shopify_customer_id AS c_customer, c.shopify_updated_at AS c_updated,
           COALESCE(c.shopify_consent_state, '') AS c_state, c.shopify_consent_at AS c_state_at,
           COALESCE(c.sms_consent AND c.opted_out_at IS NULL, false) AS was_messageable
    FROM src s LEFT JOIN LATERAL (  -- one index probe a row, whatever the planner believes of the shop's size
        SELECT * FROM {_CONTACT} found WHERE found.shop_id = %(shop)s AND found.phone = s.phone LIMIT 1
    ) c ON true
), fresh AS (
    SELECT cur.*,
           has_profile AND (c_updated IS NULL OR updated_at > c_updated) AS profile_fresh,
           state IS NOT NULL AND (c_state_at IS NULL OR consent_at > c_state_at) AS consent_fresh
    FROM cur
), decided AS (
    SELECT fresh.*,
           consent_fresh AND state = 'subscribed'
               AND (c_stopped IS NULL OR consent_at > c_stopped) AS grants,
           consent_fresh AND state IN ('unsubscribed', 'redacted') AS withdraws
    FROM fresh
), target AS (
    SELECT phone, customer_id, contact_id, state, opt_in_level, collected_from, consent_at,
           CASE WHEN contact_id IS NULL THEN nextval((SELECT pg_get_serial_sequence('{_CONTACT}', 'id'))::regclass)
           END AS new_id,
           CASE WHEN profile_fresh THEN COALESCE(first_name, '') ELSE COALESCE(c_first, '') END AS n_first,
           CASE WHEN profile_fresh THEN COALESCE(last_name, '') ELSE COALESCE(c_last, '') END AS n_last,
           CASE WHEN grants THEN true WHEN withdraws THEN false ELSE c_consent END AS n_consent,
           CASE WHEN grants AND NOT was_messageable THEN %(now)s ELSE c_consent_at END AS n_consent_at,
           CASE WHEN grants AND NOT was_messageable THEN %(source)s ELSE c_source END AS n_source,
           CASE WHEN grants THEN NULL WHEN withdraws AND was_messageable THEN %(now)s ELSE c_opted_out END
               AS n_opted_out,
           CASE WHEN grants THEN NULL ELSE c_stopped END AS n_stopped,
           CASE WHEN grants THEN '' ELSE c_stopped_via END AS n_stopped_via,
           CASE WHEN profile_fresh OR c_customer IS NULL THEN customer_id ELSE c_customer END AS n_customer,
           CASE WHEN profile_fresh THEN updated_at ELSE c_updated END AS n_updated,
           CASE WHEN consent_fresh THEN state ELSE c_state END AS n_state,
           CASE WHEN consent_fresh THEN consent_at ELSE c_state_at END AS n_state_at,
           CASE WHEN grants AND NOT was_messageable THEN 'granted'
                WHEN withdraws AND was_messageable THEN 'withdrawn' END AS action
    FROM decided
), created AS (  -- phones the probe found nowhere in the shop: a plain INSERT, no conflict to arbitrate; their
    -- ids taken beforehand (new_id), so their events need not wait for (and join) what the INSERT returns
    INSERT INTO {_CONTACT} (id, {_INSERTED})
    SELECT new_id, {_INSERTED_VALUES} FROM target WHERE contact_id IS NULL  -- in phone order already (src)
), changed AS (
    INSERT INTO {_CONTACT} AS c ({_INSERTED})
    SELECT {_INSERTED_VALUES} FROM target WHERE contact_id IS NOT NULL ORDER BY phone
    ON CONFLICT (shop_id, phone) DO UPDATE SET {", ".join(f"{name} = EXCLUDED.{name}" for name in _COMPARED)},
        updated_at = EXCLUDED.updated_at
    WHERE ({", ".join(f"c.{name}" for name in _COMPARED)})
        IS DISTINCT FROM ({", ".join(f"EXCLUDED.{name}" for name in _COMPARED)})
    RETURNING c.id, c.phone, (xmax = 0) AS inserted
), events AS (
    INSERT INTO {_EVENT} (shop_id, contact_id, phone, action, source, detail, occurred_at)
    SELECT %(shop)s, COALESCE(t.new_id, w.id), t.phone, t.action, %(source)s,
           concat_ws(' ', 'state=' || t.state, 'opt_in_level=' || t.opt_in_level,
                     'collected_from=' || t.collected_from, 'consent_updated_at='
                     || to_char(t.consent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
           %(now)s
    FROM target t LEFT JOIN changed w ON t.contact_id IS NOT NULL AND w.phone = t.phone
    WHERE t.action IS NOT NULL AND (t.new_id IS NOT NULL OR w.id IS NOT NULL)
    RETURNING 1
), moving AS (  -- customers _UNLINK_MOVED may find (its note), seen in the snapshot before this statement's writes
    SELECT s.customer_id FROM {_IN} s CROSS JOIN LATERAL (
        SELECT 1 FROM {_CONTACT} c
        WHERE c.shop_id = %(shop)s AND c.shopify_customer_id = s.customer_id AND c.phone <> s.phone LIMIT 1
    ) linked
    WHERE EXISTS (  -- one probe first: a first sync's chunk (Shopify exports by id) has no customer linked yet
        SELECT 1 FROM {_CONTACT} c WHERE c.shop_id = %(shop)s AND c.shopify_customer_id
            BETWEEN (SELECT min(customer_id) FROM {_IN}) AND (SELECT max(customer_id) FROM {_IN})
    )
    UNION
    SELECT unnest(%(two_phones)s::bigint[])
)
SELECT (SELECT count(*) FROM target WHERE contact_id IS NULL) + count(*) FILTER (WHERE inserted),
       count(*) FILTER (WHERE NOT inserted), (SELECT count(*) FROM events), (SELECT array_agg(customer_id) FROM moving)
FROM changed
"""
# A customer whose phone changed in Shopify: the contact of the old phone is no longer that customer. Found by
# an index probe per staged row (never a scan of the shop's contacts, however many it has), of the staged
# customers `moving` names: after _UPSERT, a contact of customer X with another phone than a staged (X, phone)
# either had X before the statement (its `moving` probe, which misses cheaply for the new customers of a first
# sync where probing after the insert would find each one's own new contact) or was given X by it, which takes a
# second staged phone of X (`two_phones`, rows.two_phone_customers).
_UNLINK_MOVED = f"""
UPDATE {_CONTACT} SET shopify_customer_id = NULL
WHERE id = ANY(ARRAY(
    SELECT moved.id FROM {_IN} s CROSS JOIN LATERAL (
        SELECT c.id FROM {_CONTACT} c
        WHERE c.shop_id = %(shop)s AND c.shopify_customer_id = s.customer_id AND c.phone <> s.phone OFFSET 0
    ) moved
    WHERE s.customer_id = ANY(%(customers)s)
))
"""
_DELETED = f"""
WITH gone AS (
    SELECT id, phone, sms_consent AND opted_out_at IS NULL AS was_messageable FROM {_CONTACT}
    WHERE shop_id = %(shop)s AND shopify_customer_id = %(customer)s FOR UPDATE
), changed AS (
    UPDATE {_CONTACT} c SET shopify_customer_id = NULL, sms_consent = false, updated_at = %(now)s,
        opted_out_at = CASE WHEN g.was_messageable THEN %(now)s ELSE c.opted_out_at END
    FROM gone g WHERE c.id = g.id
    RETURNING c.id
)
INSERT INTO {_EVENT} (shop_id, contact_id, phone, action, source, detail, occurred_at)
SELECT %(shop)s, g.id, g.phone, 'withdrawn', %(source)s, 'customer deleted in Shopify', %(now)s
FROM gone g JOIN changed USING (id) WHERE g.was_messageable
"""
