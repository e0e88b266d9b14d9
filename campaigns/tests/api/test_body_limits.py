"""Request body limits: sized to the 10,000-contact bulk call, checked before a byte is parsed."""

import json

import pytest
from rest_framework import parsers

from campaigns.models import Contact
from campaigns.services.contacts.upsert import MAX_BULK_ROWS

pytestmark = pytest.mark.django_db

HEAVY_ROW = {"phone": "+306912345678", "first_name": "A" * 100, "last_name": "B" * 100, "sms_consent": True,
             "tags": ["t" * 20, "u" * 20, "v" * 20, "w" * 20, "x" * 20]}


def post(api, url, raw: bytes):
    return api.post(url, data=raw, content_type="application/json")


@pytest.fixture
def parse_spy(monkeypatch):
    """Records every body DRF's JSON parser is asked to parse."""
    calls = []
    original = parsers.JSONParser.parse

    def spy(self, stream, media_type=None, parser_context=None):
        calls.append(1)
        return original(self, stream, media_type, parser_context)

    monkeypatch.setattr(parsers.JSONParser, "parse", spy)
    return calls


def test_a_legal_10000_contact_call_with_long_names_is_accepted(api, shop, settings):
    rows = [{**HEAVY_ROW, "phone": f"+30691{n:07d}"} for n in range(MAX_BULK_ROWS)]
    raw = json.dumps({"contacts": rows}).encode()
    assert len(raw) > 4_000_000  # what the limit is sized to (config.settings)
    response = post(api, "/api/v1/contacts/bulk", raw)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == MAX_BULK_ROWS
    assert len(raw) < settings.API_BULK_BODY_MAX_BYTES


def test_16_mb_of_empty_objects_is_refused_before_it_is_parsed(api, shop, parse_spy):
    raw = b'{"contacts": [' + b",".join([b"{}"] * (16_000_000 // 3)) + b"]}"
    response = post(api, "/api/v1/contacts/bulk", raw)
    assert response.status_code == 413
    assert response.json()["reason"] == "request_too_large"
    assert "bytes" in response.json()["detail"]
    assert parse_spy == []
    assert not Contact.objects.exists()


def test_a_single_object_call_takes_at_most_64_kb(api, shop, parse_spy):
    raw = json.dumps({"phone": "+306912345678", "sms_consent": True, "first_name": " " * 70_000}).encode()
    for url in ("/api/v1/contacts/", "/api/v1/campaigns/"):
        response = post(api, url, raw)
        assert response.status_code == 413 and response.json()["reason"] == "request_too_large"
    assert parse_spy == []


def test_a_body_longer_than_its_declared_length_is_still_cut_at_the_limit(api, shop, parse_spy, settings):
    settings.API_BULK_BODY_MAX_BYTES = 1000
    raw = json.dumps({"contacts": [HEAVY_ROW] * 10}).encode()
    response = api.generic("POST", "/api/v1/contacts/bulk", raw, content_type="application/json",
                           CONTENT_LENGTH="10")
    assert response.status_code in (400, 413)
    assert not Contact.objects.exists()
