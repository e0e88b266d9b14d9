"""Test sends' rules: never to a number that opted out of the shop; a per-shop throttle (API and admin)."""

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

pytestmark = pytest.mark.django_db
PHONE = "+306910000000"  # add_contacts' first number


def accepting(mock):
    mock.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})


def post_test(client, campaign, phone=PHONE):
    return client.post(f"/api/v1/campaigns/{campaign.id}/test", {"phone": phone}, format="json")


@responses.activate
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
def test_only_this_shops_opt_out_counts():
    shop, other = funded_shop(10), funded_shop(10)
    add_contacts(other, 1)
    Contact.objects.filter(shop=other).update(sms_consent=False, opted_out_at=timezone.now())
    accepting(responses)
    assert post_test(api_for(shop), sending_campaign(shop)).status_code == 200
    assert len(responses.calls) == 1


def test_the_admins_test_send_refuses_an_opted_out_number():
    shop = funded_shop(10)
    add_contacts(shop, 1)
    Contact.objects.filter(shop=shop).update(sms_consent=False, opted_out_at=timezone.now())
    campaign = sending_campaign(shop)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        accepting(mock)
        page = merchant_client(shop).post(
            changelist("campaign"), {"action": "send_test", "_selected_action": [campaign.id], "phone": PHONE},
            follow=True,
        ).content.decode()
        assert len(mock.calls) == 0
    assert "refused (opted_out)" in page


@responses.activate
def test_test_sends_are_throttled_per_shop_across_the_api_and_the_admin(settings):
    settings.TEST_SEND_THROTTLE_RATE = "2/min"
    shop, other = funded_shop(10), funded_shop(10)
    campaign = sending_campaign(shop)
    accepting(responses)
    client = api_for(shop)

    answers = [post_test(client, campaign).status_code for _ in range(2)]
    refused = post_test(client, campaign)
    page = merchant_client(shop).post(
        changelist("campaign"), {"action": "send_test", "_selected_action": [campaign.id], "phone": PHONE},
        follow=True,
    ).content.decode()

    assert answers == [200, 200]
    assert (refused.status_code, refused.json()["reason"]) == (429, "rate_limited")
    assert "refused (rate_limited)" in page
    assert len(responses.calls) == 2
    assert post_test(api_for(other), sending_campaign(other)).status_code == 200, "another shop has its own window"
    shop.refresh_from_db()
    assert shop.credits == 8 and ledger_matches(shop)
