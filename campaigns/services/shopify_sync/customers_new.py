"""A first sync's chunk of customers whose phones the shop does not have yet: their contacts and consent events
written by COPY, as a bare load of the same rows would be, rather than by customers.py's statement (a staging
table, a probe per phone, INSERT … SELECT), which a chunk of a million-customer shop needs most of a second for.

For a contact that does not exist, customers.py's rules come down to this: the names, the customer id and its
update time as Shopify sent them; consent given (now, source `shopify`) when the state is `subscribed`, with one
`granted` event (no earlier STOP can exist without a contact); Shopify's consent state and time recorded when a
state came; nothing opted out. Two rows of one phone: the one customers.py's DISTINCT ON keeps
(rows.row_recency). A test holds this path and the statement to the same contacts and events.

Two things are asked first, each one index probe: whether a contact is linked to a customer in the chunk's range
of ids (`LINKED`: a re-sync, or the pages a sync read before it switched to the bulk export; the statement would
unlink a contact whose customer's phone moved), and, by the COPY itself, whether the shop has one of the phones:
the COPY runs under a savepoint and the shop's unique (shop, phone) index refuses a phone the shop has (a contact
imported otherwise, another writer's, an earlier chunk's). Either way the chunk goes the statement's way, which
decides per phone; sync.py stops trying once a COPY was refused. A first sync reads the export in id order, so
the customers of the chunks before are below the range.

The rows are made on the sync's reading thread (`new_rows`), which also asks `LINKED` on a connection of its own,
takes the contacts' ids from the table's sequence there and writes the COPY data (`new_rows_ready`); the apply
asks `LINKED` again in its transaction and puts the time in.
"""

from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

import psycopg
from django.db import IntegrityError, connection, transaction

from campaigns.models import ConsentEvent, Contact, Shop
from campaigns.services.contacts.consent import SHOPIFY_SOURCE as SOURCE
from campaigns.services.shopify_sync.rows import (
    COPY_ESCAPES,
    COPY_NULL,
    consent_detail,
    row_recency,
    two_phone_customers,
)

_NOW = "\0"  # stands for the apply's time; a NUL cannot be in the text otherwise (COPY_ESCAPES drops it)
_NOW_BYTES = _NOW.encode()
# The columns a new contact has other than their database default (the creation and update time: the chunk's
# transaction's; nothing opted out).
_CONTACT_COLUMNS = ("id, shop_id, phone, first_name, last_name, tags, sms_consent, consent_at, consent_source,"
                    " timezone, shopify_customer_id, shopify_updated_at, shopify_consent_state, shopify_consent_at")
_EVENT_COLUMNS = "shop_id, contact_id, phone, action, source, detail, occurred_at"
_CONTACT = Contact._meta.db_table
_LINKED = (f"SELECT EXISTS (SELECT 1 FROM {_CONTACT} WHERE shop_id = %s AND shopify_customer_id BETWEEN %s AND %s)")
_IDS = (f"SELECT array_agg(nextval((SELECT pg_get_serial_sequence('{_CONTACT}', 'id'))::regclass))"
        " FROM generate_series(1, %s)")


@dataclass
class NewRows:
    """A chunk's contacts as COPY lines after their id and shop, its events as (the index of their contact, COPY
    line after the shop and contact id), the apply's time as _NOW; and the lowest and highest customer id."""

    contacts: list[str]
    events: list[tuple[int, str]]
    customers: tuple[int, int]
    ready: tuple[bytes, bytes] | None = None  # new_rows_ready's COPY data of the contacts and the events


def new_rows(rows: list[tuple]) -> NewRows | None:
    """The contacts and `granted` events of staging `rows` (customers.py's), as if none of their phones exists;
    None when that would not be customers.py's outcome even then: no rows, or a customer with two phones (the
    statement unlinks its contacts, rows.two_phone_customers)."""
    if not rows or (len({row[0] for row in rows}) < len(rows) and two_phone_customers(rows)):
        return None
    contacts, events, escapes = [], [], COPY_ESCAPES
    for row in _newest_per_phone(rows):
        customer_id, phone, first, last, profile, updated, state, _, at, _ = row
        grants = state == "subscribed"
        if grants:
            events.append((len(contacts), f"{phone}\tgranted\t{SOURCE}\t{consent_detail(row)}\t{_NOW}\n"))
        contacts.append(
            f"{phone}\t{first.translate(escapes) if profile and first else ''}\t"
            f"{last.translate(escapes) if profile and last else ''}\t[]\t"
            f"{'t' if grants else 'f'}\t{_NOW if grants else COPY_NULL}\t{SOURCE if grants else ''}\t\t{customer_id}\t"
            f"{updated.isoformat() if profile and updated else COPY_NULL}\t{state or ''}\t"
            f"{at.isoformat() if state and at else COPY_NULL}\n")
    return NewRows(contacts, events, (min(row[0] for row in rows), max(row[0] for row in rows)))


def new_rows_ready(new: NewRows, *, shop_id: int) -> bool:
    """Take the contacts' ids from the sequence (an id taken and not used is a gap, nothing more) and write the
    COPY data of `new` for the shop, bytes, the time still _NOW, so the apply's thread is left the COPY alone;
    False, nothing taken, when the shop has a contact linked to a customer in its range (`LINKED`)."""
    with connection.cursor() as cursor:
        if _linked(cursor, shop_id=shop_id, new=new):
            return False
        cursor.execute(_IDS, [len(new.contacts)])
        ids = cursor.fetchone()[0]
    new.ready = (
        "".join([f"{contact_id}\t{shop_id}\t{line}" for contact_id, line in zip(ids, new.contacts, strict=True)]
                ).encode(),
        "".join([f"{shop_id}\t{ids[index]}\t{line}" for index, line in new.events]).encode(),
    )
    return True


def new_rows_copy(cursor, *, shop: Shop, new: NewRows, now: datetime) -> str:
    """Write `new` by COPY under a savepoint: `copied`; with nothing written, `linked` (`LINKED`) or `refused`
    (the shop has one of its phones). Inside the chunk's transaction, after the shop's contact-write lock."""
    if _linked(cursor, shop_id=shop.pk, new=new) or (new.ready is None and not new_rows_ready(new, shop_id=shop.pk)):
        return "linked"
    contacts, events = new.ready
    at = now.isoformat().encode()
    try:
        with transaction.atomic():
            with cursor.copy(f"COPY {_CONTACT} ({_CONTACT_COLUMNS}) FROM STDIN") as copy:
                copy.write(contacts.replace(_NOW_BYTES, at))
            with cursor.copy(f"COPY {ConsentEvent._meta.db_table} ({_EVENT_COLUMNS}) FROM STDIN") as copy:
                copy.write(events.replace(_NOW_BYTES, at))
    except (IntegrityError, psycopg.errors.UniqueViolation):
        return "refused"
    return "copied"


def _linked(cursor, *, shop_id: int, new: NewRows) -> bool:
    cursor.execute(_LINKED, [shop_id, *new.customers])
    return cursor.fetchone()[0]


def _newest_per_phone(rows: list[tuple]) -> list[tuple]:
    """One row per phone, in phone order (the unique index is written in its own order)."""
    if len({row[1] for row in rows}) < len(rows):
        newest = {}
        for row in sorted(rows, key=row_recency):
            newest[row[1]] = row
        rows = list(newest.values())
    return sorted(rows, key=itemgetter(1))
