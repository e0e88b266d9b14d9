"""Test sends (sending/one_off.py): one rendered message now, its segments debited, nothing when it fails; never to
a number that opted out of the shop; a per-shop throttle shared by the API and the admin."""

import json

import pytest
import responses
from django.utils import timezone

from campaigns.models import Contact
from campaigns.tests.support.admin_helpers import changelist, merchant_client
from campaigns.tests.support.send_helpers import (
    SEND_URL,
    add_contacts,
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
        "sms": {"text": "Hi Alex! " + "x" * 160, "sender": "MyShop"}, "reference": f"t:{campaign.id}",
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


PHONE = "+306910000000"  # add_contacts' first number


def accepting(mock):
    mock.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})


def post_test(client, campaign, phone=PHONE):
    return client.post(f"/api/v1/campaigns/{campaign.id}/test", {"phone": phone}, format="json")


@responses.activate
@pytest.mark.django_db
@pytest.mark.parametrize("written_as", ["+306910000000", "+30 691 000 0000", "6910000000"])
def test_a_number_that_opted_out_of_the_shop_gets_no_test_and_nothing_is_debited(written_as):
    shop = funded_shop(10, default_region="GR")
    add_contacts(shop, 1)
    Contact.objects.filter(shop=shop).update(sms_consent=False, opted_out_at=timezone.now())
    accepting(responses)

    response = post_test(api_for(shop), sending_campaign(shop), written_as)

    assert (response.status_code, response.json()["reason"]) == (409, "opted_out")
    assert len(responses.calls) == 0 and not MessageLog.objects.exists()
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (10, 0) and ledger_matches(shop)


@responses.activate
@pytest.mark.django_db
def test_only_this_shops_opt_out_counts():
    shop, other = funded_shop(10), funded_shop(10)
    add_contacts(other, 1)
    Contact.objects.filter(shop=other).update(sms_consent=False, opted_out_at=timezone.now())
    accepting(responses)
    assert post_test(api_for(shop), sending_campaign(shop)).status_code == 200
    assert len(responses.calls) == 1


@pytest.mark.django_db
def test_the_admins_test_send_refuses_an_opted_out_number():
    shop = funded_shop(10)
    add_contacts(shop, 1)
    Contact.objects.filter(shop=shop).update(sms_consent=False, opted_out_at=timezone.now())
    campaign = sending_campaign(shop)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        accepting(mock)
        page = merchant_client(shop).post(
            changelist("campaign"), {"action": "send_test", "_selected_action": [campaign.id], "phone": PHONE,
                                   "_confirm": "1"},
            follow=True,
        ).content.decode()
        assert len(mock.calls) == 0
    assert "was not done: This number opted out" in page


@responses.activate
@pytest.mark.django_db
def test_test_sends_are_throttled_per_shop_across_the_api_and_the_admin(settings):
    settings.TEST_SEND_THROTTLE_RATE = "2/min"
    shop, other = funded_shop(10), funded_shop(10)
    campaign = sending_campaign(shop)
    accepting(responses)
    client = api_for(shop)

    answers = [post_test(client, campaign).status_code for _ in range(2)]
    refused = post_test(client, campaign)
    page = merchant_client(shop).post(
        changelist("campaign"), {"action": "send_test", "_selected_action": [campaign.id], "phone": PHONE,
                                   "_confirm": "1"},
        follow=True,
    ).content.decode()

    assert answers == [200, 200]
    assert (refused.status_code, refused.json()["reason"]) == (429, "rate_limited")
    assert "was not done: Too many test sends" in page
    assert len(responses.calls) == 2
    assert post_test(api_for(other), sending_campaign(other)).status_code == 200, "another shop has its own window"
    shop.refresh_from_db()
    assert shop.credits == 8 and ledger_matches(shop)
