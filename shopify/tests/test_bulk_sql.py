"""PostgreSQL's reading of the bulk export's lines (bulk_sql.py) equals `parsing.graphql_customer`'s on every line
it calls usual, covers the shapes Shopify writes, and hands every other shape to Python; the raw line blocks."""

import copy
import json

import psycopg
import pytest
from django.db import connection

from shopify import admin, bulk_sql
from shopify.parsing import graphql_customer

pytestmark = pytest.mark.django_db

BASE = {
    "id": "gid://shopify/Customer/7001", "firstName": "Ada", "lastName": "Lovelace", "phone": "+12125550100",
    "updatedAt": "2026-11-30T10:00:00Z", "tags": ["vip"],
    "smsMarketingConsent": {"marketingState": "SUBSCRIBED", "marketingOptInLevel": "SINGLE_OPT_IN",
                            "consentUpdatedAt": "2026-11-29T10:00:00Z", "consentCollectedFrom": "OTHER"},
    "defaultPhoneNumber": {"phoneNumber": "+12125550100", "smsMarketingConsent": {
        "state": "SUBSCRIBED", "optInLevel": "SINGLE_OPT_IN", "updatedAt": "2026-11-29T10:00:00Z",
        "collectedFrom": "OTHER"}},
}


def _with(**changes) -> dict:
    """BASE with dotted-path changes (`None` value: JSON null; `...`: the key removed)."""
    node = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = node
        for parent in parents:
            target = target[parent]
        if value is ...:
            target.pop(key, None)
        else:
            target[key] = value
    return node


# Shapes Shopify documents: PostgreSQL must read them itself.
USUAL = {
    "simulator's line": BASE,
    "lowercase enums": _with(defaultPhoneNumber__smsMarketingConsent__state="unsubscribed",
                             defaultPhoneNumber__smsMarketingConsent__collectedFrom="shopify"),
    "only the deprecated consent": _with(defaultPhoneNumber=None),
    "only the 2026-10 consent": _with(smsMarketingConsent=None),
    "new keys null, old keys inside the new object": _with(defaultPhoneNumber__smsMarketingConsent={
        "state": None, "marketingState": "PENDING", "marketingOptInLevel": "CONFIRMED_OPT_IN"}),
    "no phone": _with(phone=None, defaultPhoneNumber=None, smsMarketingConsent=None),
    "phone only on the node": _with(defaultPhoneNumber__phoneNumber=None),
    "no names": _with(firstName=None, lastName=...),
    "offset and fraction": _with(updatedAt="2026-11-30T05:00:00.123-05:00",
                                 defaultPhoneNumber__smsMarketingConsent__updatedAt="2026-11-29T10:00:00.5+02:00"),
    "unicode names": _with(firstName="Zoë", lastName="Ο'Νείλ"),
    "redacted, unknown level": _with(defaultPhoneNumber__smsMarketingConsent__state="REDACTED",
                                     defaultPhoneNumber__smsMarketingConsent__optInLevel="UNKNOWN"),
    "empty consent object": _with(defaultPhoneNumber__smsMarketingConsent={}),
}
# Anything else: either read alike or left to Python.
OTHER = {
    "numeric id": _with(id=7001),
    "id with a query": _with(id="gid://shopify/Customer/7001?x=1"),
    "id zero": _with(id="gid://shopify/Customer/0"),
    "id too big": _with(id="gid://shopify/Customer/99999999999999999999999"),
    "no id": _with(id=...),
    "national phone": _with(defaultPhoneNumber__phoneNumber="(212) 555-0100"),
    "phone with spaces": _with(phone=" +12125550100 ", defaultPhoneNumber=None),
    "phone a number": _with(defaultPhoneNumber__phoneNumber=12125550100),
    "empty phone": _with(defaultPhoneNumber__phoneNumber="", phone="+12125550199"),
    "names padded": _with(firstName=" Ada ", lastName="\u3000L"),
    "name empty": _with(firstName=""),
    "name a number": _with(firstName=42),
    "name true": _with(lastName=True),
    "name an object": _with(lastName={"a": 1}),
    "mixed case enum": _with(defaultPhoneNumber__smsMarketingConsent__state="Subscribed"),
    "unknown enum": _with(defaultPhoneNumber__smsMarketingConsent__state="maybe"),
    "enum a number": _with(defaultPhoneNumber__smsMarketingConsent__state=5),
    "naive time": _with(updatedAt="2026-11-30T10:00:00"),
    "hour 24": _with(updatedAt="2026-11-30T24:00:00Z"),
    "second 60": _with(defaultPhoneNumber__smsMarketingConsent__updatedAt="2026-11-30T10:00:60Z"),
    "date only": _with(updatedAt="2026-11-30"),
    "time a number": _with(updatedAt=1764496800),
    "lower z": _with(updatedAt="2026-11-30T10:00:00z"),
    "consent a string": _with(defaultPhoneNumber__smsMarketingConsent="SUBSCRIBED"),
    "default phone a list": _with(defaultPhoneNumber=[1]),
    "child line": {"id": "gid://shopify/Order/1", "__parentId": "gid://shopify/Customer/7001"},
    "an array": [BASE],
    "a string": "customer",
}


@pytest.fixture
def reader():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as conn:
        yield conn


def _read(reader, nodes: list) -> list[dict]:
    lines = "\n".join(json.dumps(node, ensure_ascii=False) for node in nodes)
    with reader.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({bulk_sql.CUSTOMER_LINES}) r ORDER BY n",
                       {"lines": lines, "space": bulk_sql.SPACE})
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _python(node) -> dict | None:
    try:
        customer = graphql_customer(node)
    except Exception:  # noqa: BLE001 (a node Python skips: it must not be usual in SQL either)
        return None
    consent = customer.consent
    return {"customer_id": customer.customer_id, "phone": customer.phone, "first_name": customer.first_name,
            "last_name": customer.last_name, "updated_at": customer.updated_at,
            "state": consent and consent.state, "opt_in_level": consent and consent.opt_in_level,
            "consent_at": consent and consent.updated_at, "collected_from": consent and consent.collected_from}


def _rows_by_line(reader, cases: dict) -> dict[str, dict | None]:
    """Each case's row (None: a usual line without a phone, which bulk_sql leaves out)."""
    rows = {row["n"]: row for row in _read(reader, list(cases.values()))}
    return {name: rows.get(n) for n, name in enumerate(cases, start=1)}


def test_the_shapes_shopify_writes_are_read_by_postgresql_exactly_as_python_reads_them(reader):
    for name, row in _rows_by_line(reader, USUAL).items():
        expected = _python(USUAL[name])
        if expected["phone"] is None:
            assert row is None, name
            continue
        assert row["usual"], name
        assert {key: row[key] for key in expected} == expected, name


def test_every_other_shape_is_either_read_alike_or_left_to_python(reader):
    left_to_python = 0
    for name, row in _rows_by_line(reader, OTHER).items():
        expected = _python(OTHER[name])
        if row is not None and not row["usual"]:
            assert all(row[key] is None for key in ("customer_id", "phone", "state")), name
            left_to_python += 1
        elif row is None:
            assert expected is not None and expected["phone"] is None, name
        else:
            assert {key: row[key] for key in expected} == expected, name
    assert left_to_python >= len(OTHER) - 2


def test_a_block_postgresql_refuses_comes_back_none_for_python_to_read(reader):
    good = json.dumps(BASE).encode()
    assert bulk_sql.customer_rows(reader, [good, good]) is not None
    assert bulk_sql.customer_rows(reader, [good, b"{not json"]) is None
    assert bulk_sql.customer_rows(reader, [good, json.dumps(_with(updatedAt="2026-02-30T10:00:00Z")).encode()]) \
        is None
    assert bulk_sql.customer_rows(reader, [good, b'{"id": "\xff"}']) is None
    assert bulk_sql.customer_rows(reader, [good, b'{"id": "a\\u0000b"}']) is None


def test_the_export_comes_in_blocks_of_non_empty_lines_skipping_those_applied():
    chunks = [b'{"a":1}\n{"a"', b':2}\r\n\n{"a":3}\n', b'{"a":4}\n{"a":5}']
    assert list(admin._blocks(iter(chunks), 0, 2)) == [[b'{"a":1}', b'{"a":2}'], [b'{"a":3}', b'{"a":4}'],
                                                        [b'{"a":5}']]
    assert list(admin._blocks(iter(chunks), 3, 10)) == [[b'{"a":4}', b'{"a":5}']]
    assert list(admin._blocks(iter(chunks), 9, 10)) == []
