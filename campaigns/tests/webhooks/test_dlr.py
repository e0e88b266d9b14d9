"""POST /webhooks/mitto/dlr: authentication, payload forms, malformed bodies (never a 500)."""

import json

import pytest
from django.test import Client

from campaigns.models import CampaignRecipient
from campaigns.tests.support.report_helpers import (
    campaign_with_recipients,
    counters,
    counters_from_rows,
    message_id,
    recipient_ids,
    send_results,
)
from campaigns.webhooks import views
from messaging.models import UnmatchedReport

pytestmark = pytest.mark.django_db

URL = "/webhooks/mitto/dlr"
TOKEN = {"X-Webhook-Token": "test-webhook-secret"}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def campaign():
    campaign = campaign_with_recipients(5)
    send_results(campaign, sent=recipient_ids(campaign))
    return campaign


def _item(rid, status="Delivered"):
    return {
        "messageId": message_id(rid),
        "deliveryStatus": status,
        "reference": f"r:{rid}",
        "description": "",
        "errorCode": None,
        "updatedAt": "2025-12-11T08:50:04.5000993Z",
    }


def _post(client, body, headers=TOKEN, url=URL):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers)


def _statuses(campaign):
    return sorted(CampaignRecipient.objects.filter(campaign=campaign).values_list("status", flat=True))


def test_one_report_object_is_applied(client, campaign):
    rid = recipient_ids(campaign)[0]
    response = _post(client, _item(rid))
    assert response.status_code == 202
    assert response.json() == {"ok": True, "applied": 1, "unknown": 0, "ignored": 0}
    assert CampaignRecipient.objects.get(id=rid).status == "delivered"


def test_an_array_with_duplicates_unknown_and_invalid_items(client, campaign):
    first, second = recipient_ids(campaign)[:2]
    body = [
        _item(first),
        _item(first),
        _item(second, "failed"),
        {"messageId": "NOT-OURS", "status": "Delivered"},
        {"status": "Delivered"},
        42,
    ]
    response = _post(client, body)
    assert response.status_code == 202
    assert response.json() == {"ok": True, "applied": 2, "unknown": 1, "ignored": 3}
    assert _statuses(campaign) == ["delivered", "failed", "sent", "sent", "sent"]
    assert list(UnmatchedReport.objects.values_list("message_id", flat=True)) == ["NOT-OURS"]
    assert counters(campaign) == counters_from_rows(campaign)


def test_the_token_may_come_in_the_query(client, campaign):
    response = _post(client, _item(recipient_ids(campaign)[0]), headers={}, url=f"{URL}?token=test-webhook-secret")
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("headers", "query"),
    [({}, ""), ({"X-Webhook-Token": "wrong"}, ""), ({}, "?token=wrong"), ({"X-Webhook-Token": ""}, "?token=")],
)
def test_a_wrong_or_missing_token_is_401_and_changes_nothing(client, campaign, headers, query):
    response = _post(client, [_item(rid) for rid in recipient_ids(campaign)] + [{"id": "X"}], headers, URL + query)
    assert response.status_code == 401
    assert response.json()["reason"] == "unauthorized"
    assert _statuses(campaign) == ["sent"] * 5
    assert not UnmatchedReport.objects.exists()


def test_with_no_secret_configured_everything_is_refused(client, campaign, settings):
    settings.MITTO_WEBHOOK_SECRET = ""
    assert _post(client, _item(recipient_ids(campaign)[0]), headers={"X-Webhook-Token": ""}).status_code == 401
    assert _post(client, _item(recipient_ids(campaign)[0]), headers={}, url=URL + "?token=").status_code == 401
    assert _statuses(campaign) == ["sent"] * 5


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe\x00garbage",
        "",
        "42",
        '"Delivered"',
        "null",
        "true",
        "[]",
        "{}",
        "[1, 2, 3]",
        "[[{}]]",
        '{"messageId": {"nested": ["junk"]}, "deliveryStatus": "Delivered"}',
        '{"messageId": ["A"], "deliveryStatus": "Delivered"}',
        '{"messageId": true, "deliveryStatus": "Delivered"}',
        '{"messageId": "' + "x" * 65 + '", "deliveryStatus": "Delivered"}',
        "[" * 100_000 + "]" * 100_000,
        "1" * 10_000,
    ],
)
def test_a_malformed_body_is_400_never_500(client, campaign, body):
    response = _post(client, body)
    assert response.status_code == 400
    assert response.json()["ok"] is False and response.json()["reason"] == "malformed_payload"
    assert _statuses(campaign) == ["sent"] * 5


def test_too_many_items_is_400(client):
    response = _post(client, [{"messageId": f"M{i}", "status": "Delivered"} for i in range(10_001)])
    assert response.status_code == 400
    assert "more than" in response.json()["detail"]
    assert not UnmatchedReport.objects.exists()


def test_a_body_over_the_limit_is_400(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_BODY_BYTES", 100)
    response = _post(client, [{"messageId": f"M{i}", "status": "Delivered"} for i in range(10)])
    assert response.status_code == 400
    assert "larger than" in response.json()["detail"]


def test_only_post_is_allowed(client):
    response = client.get(URL, headers=TOKEN)
    assert response.status_code == 405
    assert response.json()["reason"] == "method_not_allowed"
