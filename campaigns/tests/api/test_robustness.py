"""Nothing a client sends produces a 500: malformed JSON, wrong types, huge values all get a 4xx in the error shape,
and change nothing."""

import json

import pytest

from campaigns.models import Campaign, ConsentEvent, Contact
from campaigns.tests.support.factories import CampaignFactory, ContactFactory

TEN_MB = "x" * (10 * 1024 * 1024)
BEYOND_BIGINT = 2**70

MALFORMED = [
    b"{",
    b"not json",
    b"null",
    b"[]",
    b"[{}]",
    b'"a string"',
    b"42",
    b"true",
    b"1e400",
    b"NaN",
    b'{"a": 1} trailing',
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"1" * 5000,
    b"\xff\xfe\xfa",
]

BAD_FIELDS = {
    "contact": [
        {"phone": {"a": 1}, "sms_consent": True},
        {"phone": ["+306912345678"], "sms_consent": True},
        {"phone": BEYOND_BIGINT, "sms_consent": True},
        {"phone": TEN_MB, "sms_consent": True},
        {"phone": "+306912345678", "sms_consent": "maybe"},
        {"phone": "+306912345678", "sms_consent": BEYOND_BIGINT},
        {"phone": "+306912345678", "sms_consent": True, "first_name": TEN_MB},
        {"phone": "+306912345678", "sms_consent": True, "first_name": {"a": 1}},
        {"phone": "+306912345678", "sms_consent": True, "last_name": "nul\x00byte"},
        {"phone": "+306912345678", "sms_consent": True, "tags": "vip"},
        {"phone": "+306912345678", "sms_consent": True, "tags": [TEN_MB]},
        {"phone": "+306912345678", "sms_consent": True, "tags": ["\x00"]},
        {"phone": "+306912345678", "sms_consent": True, "tags": [["nested"]]},
        {"phone": "+306912345678", "sms_consent": True, "tags": ["t"] * 51},
    ],
    "bulk": [
        {"contacts": {"phone": "+306912345678", "sms_consent": True}},
        {"contacts": "+306912345678"},
        {"contacts": BEYOND_BIGINT},
        {"contacts": None},
        {"rows": []},
    ],
    "campaign": [
        {"name": ["x"], "body": "Hi"},
        {"name": TEN_MB, "body": "Hi"},
        {"name": "x", "body": TEN_MB},
        {"name": "x", "body": {"text": "Hi"}},
        {"name": "x", "body": BEYOND_BIGINT},
        {"name": "x\x00", "body": "Hi"},
        {"name": "x", "body": "Hi", "sender": BEYOND_BIGINT},
        {"name": "x", "body": "Hi", "sender": TEN_MB},
        {"name": "x", "body": "Hi", "audience": "vip"},
        {"name": "x", "body": "Hi", "audience": {"tags": [TEN_MB]}},
        {"name": "x", "body": "Hi", "audience": {"tags": ["\x00"]}},
        {"name": "x", "body": "Hi", "audience": {TEN_MB: 1}},
        {"name": "x", "body": "Hi", "scheduled_at": "tomorrow"},
        {"name": "x", "body": "Hi", "scheduled_at": BEYOND_BIGINT},
        {"name": "x", "body": "Hi", "scheduled_at": "9999-12-31T23:59:59-12:00"},
        {"name": "x", "body": "Hi", "scheduled_at": "0001-01-01T00:00:00+12:00"},
        {"name": "x", "body": "Hi", "scheduled_at": TEN_MB},
    ],
}

RAW_BAD_FIELDS = {
    "contact": [b'{"phone": "\\ud800", "sms_consent": true}', b'{"phone": "+306912345678", "sms_consent": true, '
                b'"first_name": "\\udfff"}', b'{"phone": "+306912345678", "sms_consent": true, "tags": ["\\ud800"]}'],
    "bulk": [b'{"contacts": [{"phone": "\\ud800", "sms_consent": true}]}'],
    "campaign": [b'{"name": "\\ud800", "body": "Hi"}', b'{"name": "x", "body": "\\ud800"}',
                 b'{"name": "x", "body": "Hi", "audience": {"tags": ["\\ud800"]}}'],
}


@pytest.fixture
def targets(shop):
    """(method, url, kind) for every endpoint that takes a body."""
    contact, campaign = ContactFactory(shop=shop), CampaignFactory(shop=shop)
    return [
        ("post", "/api/v1/contacts/", "contact"),
        ("patch", f"/api/v1/contacts/{contact.id}/", "contact"),
        ("post", "/api/v1/contacts/bulk", "bulk"),
        ("post", "/api/v1/campaigns/", "campaign"),
        ("patch", f"/api/v1/campaigns/{campaign.id}/", "campaign"),
    ]


def snapshot():
    return (
        list(Contact.objects.order_by("id").values()),
        list(Campaign.objects.order_by("id").values()),
        ConsentEvent.objects.count(),
    )


def assert_refused(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert body["ok"] is False
    assert body["reason"] and isinstance(body["detail"], str)


def send(api, method, url, raw: bytes, content_type="application/json"):
    return getattr(api, method)(url, data=raw, content_type=content_type)


@pytest.mark.parametrize("raw", MALFORMED, ids=lambda raw: repr(raw[:12]))
def test_malformed_bodies_are_4xx_everywhere(api, targets, raw):
    before = snapshot()
    for method, url, _kind in targets:
        assert_refused(send(api, method, url, raw))
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["contact", "bulk", "campaign"])
def test_wrong_types_and_huge_values_are_4xx(api, targets, kind):
    before = snapshot()
    bodies = [json.dumps(body).encode() for body in BAD_FIELDS[kind]] + RAW_BAD_FIELDS[kind]
    for method, url, target_kind in targets:
        if target_kind != kind:
            continue
        for raw in bodies:
            response = send(api, method, url, raw)
            if kind == "bulk" and response.status_code == 200:
                assert response.json()["rejected"] and response.json()["created"] == 0
            else:
                assert_refused(response)
    assert snapshot() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_bodies_that_are_not_json_are_415(api, targets, content_type):
    for method, url, _kind in targets:
        response = send(api, method, url, b"phone=1", content_type=content_type)
        assert response.status_code == 415
        assert response.json()["reason"] == "unsupported_media_type"


def test_a_body_over_the_upload_limit_is_413(api, targets, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    raw = json.dumps({"phone": "+306912345678", "sms_consent": True, "first_name": "x" * 2000}).encode()
    for method, url, _kind in targets:
        response = send(api, method, url, raw)
        assert response.status_code == 413
        assert response.json()["reason"] == "request_too_large"


def test_bulk_rows_with_bad_fields_are_rejected_one_by_one(api, shop):
    small = [row for row in BAD_FIELDS["contact"] if len(json.dumps(row)) < 1000]
    rows = small + [{"phone": "+306912345678", "sms_consent": True}]
    body = api.post("/api/v1/contacts/bulk", {"contacts": rows}, format="json").json()
    assert [row["index"] for row in body["rejected"]] == list(range(len(rows) - 1))
    assert all(len(row["phone"]) <= 32 for row in body["rejected"])
    assert (body["created"], body["updated"]) == (1, 0)


@pytest.mark.parametrize("query", ["?page=abc", "?page=0", "?page=99999999999999999999999", "?page=1e400",
                                   "?page=-1", "?tag=%ud800", "?opted_out=%00", "?tag=%F0%28%8C%28"])
@pytest.mark.parametrize("url", ["/api/v1/contacts/", "/api/v1/campaigns/"])
def test_odd_query_parameters_on_lists_are_never_a_500(api, shop, url, query):
    response = api.get(url + query)
    assert response.status_code in (200, 400, 404)
    assert isinstance(response.json(), dict)
