"""customers_apply's two ways of writing a chunk: contacts new to the shop by a plain INSERT, the others by the
conflict-checked upsert, giving the same contacts and consent events; a customer's old contact unlinked when its
phone moved; the staging rows' COPY text made in Python; a bulk block read without the database applied as its
customers are."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import transaction

from campaigns.models import ConsentEvent, Contact
from campaigns.services.shopify_sync import customers, customers_new
from campaigns.services.shopify_sync.customers import customers_apply
from campaigns.tests.support.factories import ShopFactory
from shopify import admin
from shopify.records import Consent, Customer
from shopify.simulator.customers import generated

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, tzinfo=UTC)
STATES = ("subscribed", "unsubscribed", "pending", "not_subscribed", "redacted", None)


@pytest.fixture(autouse=True, params=["sql", "portable"])
def implementation(request, monkeypatch):
    """Every case runs on PostgreSQL's statement and on the portable path (the demo's SQLite) alike."""
    monkeypatch.setattr(customers, "_portable", lambda: request.param == "portable")
    return request.param


def _customer(number: int, *, phone: str | None = None, updated: int = 0) -> Customer:
    state = STATES[number % len(STATES)]
    consent = None if state is None else Consent(
        state=state, opt_in_level=("single_opt_in", "confirmed_opt_in")[number % 2],
        updated_at=NOW - timedelta(days=30, seconds=number), collected_from=("other", "shopify")[number % 3 == 0])
    return Customer(customer_id=1000 + number, first_name=f"First{number}", last_name=f"Last{number}",
                    phone=phone or f"+1212555{number:04d}", updated_at=NOW - timedelta(days=10, seconds=updated),
                    consent=consent)


def _apply(shop, records: list[Customer]):
    with transaction.atomic():
        return customers_apply(shop=shop, customers=records, now=NOW)


def _state(shop) -> tuple[list, list]:
    contacts = sorted(Contact.objects.filter(shop=shop).values_list(
        "phone", "first_name", "last_name", "sms_consent", "consent_at", "consent_source", "opted_out_at",
        "shopify_customer_id", "shopify_updated_at", "shopify_consent_state", "shopify_consent_at"))
    events = sorted(ConsentEvent.objects.filter(shop=shop).values_list(
        "phone", "action", "source", "detail", "contact__phone"))
    return contacts, events


def test_a_first_sync_into_an_empty_shop_equals_one_into_a_shop_holding_some_of_its_contacts():
    records = [_customer(number) for number in range(60)]
    empty, partly = ShopFactory(), ShopFactory()
    before = _apply(partly, records[10:30])
    applied = _apply(empty, records)
    again = _apply(partly, records)
    assert (before.created, applied.created, applied.updated, applied.seen) == (20, 60, 0, 60)
    assert (again.created, again.updated, again.seen) == (40, 0, 60)
    assert applied.events == 10 == before.events + again.events  # one `granted` per subscribed, never twice
    assert _state(empty) == _state(partly)
    assert _state(empty)[1] and all(event[4] == event[0] for event in _state(empty)[1])


def test_a_chunk_of_new_and_changed_contacts_writes_each_change_once():
    shop = ShopFactory()
    _apply(shop, [_customer(number) for number in range(12)])
    changed = [_customer(number, updated=-60) for number in range(6, 12)]  # a newer profile
    changed = [replace(record, first_name="Renamed") for record in changed]
    applied = _apply(shop, changed + [_customer(number) for number in range(12, 18)])
    assert (applied.created, applied.updated) == (6, 6)
    assert set(Contact.objects.filter(shop=shop, first_name="Renamed").values_list("shopify_customer_id", flat=True)
               ) == {1000 + number for number in range(6, 12)}
    assert Contact.objects.filter(shop=shop).count() == 18


def test_a_customer_whose_phone_moved_leaves_its_old_contact_unlinked(implementation):
    if implementation == "portable":
        pytest.skip("the unlink of a moved customer is PostgreSQL's (customers.py _UNLINK_MOVED)")
    shop = ShopFactory()
    _apply(shop, [_customer(number) for number in range(4)])
    moved = _customer(1, phone="+12125559999", updated=-60)
    _apply(shop, [moved, _customer(7)])
    linked = dict(Contact.objects.filter(shop=shop).values_list("phone", "shopify_customer_id"))
    assert linked["+12125550001"] is None
    assert linked["+12125559999"] == 1001
    assert linked["+12125550007"] == 1007 and linked["+12125550002"] == 1002
    assert _apply(shop, [moved, _customer(7)]).updated == 0


def test_names_and_times_reach_the_contact_as_shopify_sent_them():
    """The staging rows travel as COPY text made in Python: backslashes, tabs, line breaks, non-ASCII and a time
    in another offset with microseconds arrive unchanged."""
    shop = ShopFactory()
    at = datetime(2026, 2, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
    record = replace(_customer(0), first_name="Ann\\a\tB\nC\rD", last_name="Łódź \\N", updated_at=at,
                     consent=Consent(state="subscribed", updated_at=at))
    _apply(shop, [record])
    contact = Contact.objects.get(shop=shop)
    assert (contact.first_name, contact.last_name) == ("Ann\\a\tB\nC\rD", "Łódź \\N")
    assert contact.shopify_updated_at == at and contact.shopify_consent_at == at
    assert contact.sms_consent and contact.shopify_consent_state == "subscribed"


def test_a_bulk_block_read_without_the_database_applies_as_its_customers_do():
    lines = [json.dumps(generated(5000, index, 4).node()).encode() for index in range(8)]
    lines[2:2] = [b'{"__parentId": "gid://shopify/Customer/5001", "id": "gid://shopify/Order/1"}', b"{not json"]
    block = customers.customer_lines_read(lines, first_number=1, region="US")
    assert (block.applied.seen, block.applied.skipped_no_phone, len(block.rows)) == (8, 2, 6)
    by_lines, by_records = ShopFactory(), ShopFactory()
    with transaction.atomic():
        applied = customers.customer_lines_apply(shop=by_lines, block=block, now=NOW)
    records = [record for number, line in enumerate(lines) if (record := admin.bulk_line_customer(line, number=number))]
    assert (applied.seen, applied.created) == (8, 6) == (_apply(by_records, records).seen, 6)
    assert _state(by_lines) == _state(by_records)


def _block(records: list[Customer]) -> customers.ReadBlock:
    """A block made to be written as new contacts, as the sync's reading thread makes it."""
    applied = customers.Applied()
    rows = customers._rows(records, applied, region="US", with_profile=True)
    return customers.ReadBlock(rows, applied, new=customers_new.new_rows(rows))


def _apply_block(shop, block):
    with transaction.atomic():
        return customers.customer_lines_apply(shop=shop, block=block, now=NOW)


def _new_contacts_cases() -> list[Customer]:
    """Every consent state and none, names COPY must escape (and a NUL no column can hold), a consent state
    without its time, a customer without names, and one phone twice with the newer row second."""
    records = [_customer(number) for number in range(24)]
    records[3] = replace(records[3], first_name="Ann\\a\tB\nC\rD\0", last_name="Łódź \\N")
    records[4] = replace(records[4], consent=Consent(state="subscribed"))
    records[5] = replace(records[5], first_name=None, last_name=None, updated_at=None)
    older, newer = _customer(30, phone="+12125550077", updated=60), _customer(31, phone="+12125550077")
    return [*records, newer, older]


def test_new_contacts_by_copy_equal_the_statement_s_contacts_and_events(implementation):
    if implementation == "portable":
        pytest.skip("COPY of new contacts is PostgreSQL's (customers_new.py)")
    by_copy, by_statement = ShopFactory(), ShopFactory()
    applied = _apply_block(by_copy, _block(_new_contacts_cases()))
    expected = _apply(by_statement, _new_contacts_cases())
    assert applied.copy == "copied" and expected.copy == ""
    assert (applied.seen, applied.created, applied.updated, applied.events) == (
        expected.seen, expected.created, expected.updated, expected.events) == (26, 25, 0, 5)
    assert _state(by_copy) == _state(by_statement)
    assert Contact.objects.get(shop=by_copy, phone="+12125550003").first_name == "Ann\\a\tB\nC\rD"
    assert Contact.objects.get(shop=by_copy, phone="+12125550077").shopify_customer_id == 1031


def test_a_block_meeting_the_shop_s_contacts_goes_the_statement_s_way_and_writes_nothing_twice(implementation):
    if implementation == "portable":
        pytest.skip("COPY of new contacts is PostgreSQL's (customers_new.py)")
    shop, expected = ShopFactory(), ShopFactory()
    for each in (shop, expected):  # one phone of the block exists, not from Shopify (an import, the API)
        Contact.objects.create(shop=each, phone="+12125550020", first_name="Imported", sms_consent=True)
    applied = _apply_block(shop, _block(_new_contacts_cases()))
    assert applied.copy == "refused" and applied.created == 24
    _apply(expected, _new_contacts_cases())
    assert _state(shop) == _state(expected)


def test_a_block_holding_a_linked_customer_goes_the_statement_s_way(implementation):
    if implementation == "portable":
        pytest.skip("COPY of new contacts is PostgreSQL's (customers_new.py)")
    shop = ShopFactory()
    _apply(shop, [_customer(1)])
    moved = _customer(1, phone="+12125559999", updated=-60)
    applied = _apply_block(shop, _block([moved, _customer(7)]))
    assert applied.copy == "linked"
    linked = dict(Contact.objects.filter(shop=shop).values_list("phone", "shopify_customer_id"))
    assert linked == {"+12125550001": None, "+12125559999": 1001, "+12125550007": 1007}


def test_a_customer_with_two_phones_is_not_made_a_block_of_new_contacts():
    records = [_customer(1), replace(_customer(2), customer_id=1001)]
    assert customers_new.new_rows(customers._rows(records, customers.Applied(), region="US", with_profile=True)
                                  ) is None
