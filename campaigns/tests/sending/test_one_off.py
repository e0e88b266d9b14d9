"""Test sends (sending/one_off.py): one rendered message now, its segments debited, nothing when it fails."""

import json

import pytest
import responses

from campaigns.tests.support.send_helpers import (
    SEND_URL,
    api_for,
    funded_shop,
    ledger_matches,
    sending_campaign,
)
from messaging.models import MessageLog


@responses.activate
@pytest.mark.django_db
def test_a_test_send_renders_sends_one_message_and_debits_its_segments(settings):
    shop = funded_shop(10)
    campaign = sending_campaign(shop, body="Hi {{ first_name }}! " + "x" * 160)
    responses.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})

    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/test", {"phone": "+30 691 234 5678"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "status": "sent", "phone": "+306912345678", "messageId": "m-test"}
    assert json.loads(responses.calls[0].request.body) == {
        "trafficAccountId": settings.MITTO_TRAFFIC_ACCOUNT_ID, "destination": "+306912345678",
        "sms": {"text": "Hi ! " + "x" * 160, "sender": "MyShop"}, "reference": f"t:{campaign.id}",
    }
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (8, 0) and ledger_matches(shop)
    log = MessageLog.objects.get()
    assert (log.kind, log.direction, log.status, log.mitto_message_id) == ("test", "out", "sent", "m-test")

@responses.activate
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("insufficient_credits", (402, "insufficient_credits")),
        ("invalid_phone", (400, "validation_error")),
        ("missing_phone", (400, "validation_error")),
        ("provider_5xx", (502, "provider_error")),
        ("provider_rejects", (502, "provider_error")),
    ],
)
def test_a_failed_test_send_debits_nothing(case, expected):
    shop = funded_shop(0 if case == "insufficient_credits" else 10)
    campaign = sending_campaign(shop)
    if case == "provider_5xx":
        responses.add(responses.POST, SEND_URL, status=503)
    else:
        responses.add(responses.POST, SEND_URL, json={"messages": [{"error": "Invalid destination"}]})
    body = {"invalid_phone": {"phone": "12"}, "missing_phone": {}}.get(case, {"phone": "+306912345678"})

    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/test", body, format="json")

    assert (response.status_code, response.json()["reason"]) == expected
    shop.refresh_from_db()
    assert shop.credits_held == 0 and ledger_matches(shop)
    assert shop.credits == (0 if case == "insufficient_credits" else 10)
