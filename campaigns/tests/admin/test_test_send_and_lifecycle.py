"""The console's test send states the text (names from a real contact, or sample names, and which) and its
cost before anything goes out and again once sent; the campaign page's pause/resume/cancel say what will
happen (pausing does not recall what the carrier has) and run only when confirmed. Another shop's campaign
is never reachable."""

import pytest
import responses
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.models import Campaign, Contact
from campaigns.tests.support.admin_helpers import change, changelist, merchant_client
from campaigns.tests.support.send_helpers import SEND_URL, add_contacts, funded_shop, ledger_matches, sending_campaign

pytestmark = pytest.mark.django_db
PHONE = "+306912345678"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def accepting(mock):
    mock.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})


def quote_url(campaign) -> str:
    return reverse("admin:campaigns_campaign_test", args=[campaign.id])


def lifecycle_url(campaign, name: str) -> str:
    return reverse("admin:campaigns_campaign_lifecycle", args=[campaign.id, name])


@responses.activate
def test_the_quote_shows_the_contacts_names_and_the_cost_and_sends_nothing():
    shop = funded_shop(10, default_region="GR")
    Contact.objects.create(shop=shop, phone=PHONE, first_name="Anna", last_name="P", sms_consent=True)
    campaign = sending_campaign(shop, body="Hi {{ first_name }}")
    page = merchant_client(shop).post(quote_url(campaign), {"phone": "691 234 5678"})
    (quote,) = page.context["quotes"]
    assert quote["test"].message.text.startswith("Hi Anna")
    assert quote["names"] == "your contact with this number (Anna P)" and quote["cost"].startswith("1 credit ")
    assert b'name="_confirm"' in page.content and len(responses.calls) == 0
    shop.refresh_from_db()
    assert shop.credits == 10


@responses.activate
def test_confirming_sends_and_the_message_states_cost_and_names():
    shop = funded_shop(10, default_region="GR")
    campaign = sending_campaign(shop, body="Hi {{ first_name }}")
    accepting(responses)
    sent = merchant_client(shop).post(quote_url(campaign), {"phone": PHONE, "quoted": PHONE, "_confirm": "1"},
                                      follow=True)
    assert sent.redirect_chain[-1][0] == change("campaign", campaign.id)
    (message,) = texts(sent)
    assert f"sent to {PHONE}, 1 credit (1 text message) charged" in message
    assert "sample names (Alex Smith): this number is not one of your contacts" in message
    shop.refresh_from_db()
    assert shop.credits == 9 and ledger_matches(shop)


@responses.activate
def test_a_phone_changed_after_the_quote_is_quoted_again_not_sent():
    shop = funded_shop(10, default_region="GR")
    campaign = sending_campaign(shop)
    page = merchant_client(shop).post(quote_url(campaign), {"phone": PHONE, "quoted": "+306900000000",
                                                           "_confirm": "1"})
    assert page.status_code == 200 and page.context["quotes"] and len(responses.calls) == 0


@pytest.mark.parametrize("phone", ["12", "++306912345678"])
def test_a_bad_number_is_a_form_error_not_a_500(phone):
    shop = funded_shop(10, default_region="GR")
    campaign = sending_campaign(shop)
    page = merchant_client(shop).post(quote_url(campaign), {"phone": phone})
    assert page.status_code == 200 and page.context["form"].errors["phone"] and not page.context["quotes"]


def test_the_action_shows_the_quote_for_each_selected_campaign():
    shop = funded_shop(10, default_region="GR")
    first, second = sending_campaign(shop, name="A"), sending_campaign(shop, name="B")
    page = merchant_client(shop).post(changelist("campaign"), {"action": "send_test", "phone": PHONE,
                                                               "_selected_action": [first.id, second.id]})
    assert sorted(q["campaign"].name for q in page.context["quotes"]) == ["A", "B"]


def test_another_shops_campaign_is_not_found():
    shop, other = funded_shop(10), funded_shop(10)
    campaign = sending_campaign(other)
    client = merchant_client(shop)
    assert client.post(quote_url(campaign), {"phone": PHONE}).status_code == 404
    assert client.get(lifecycle_url(campaign, "cancel")).status_code == 404
    assert client.post(lifecycle_url(campaign, "cancel")).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_pause_says_what_the_carrier_has_still_goes_out_then_resume_and_cancel(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 3)
    campaign = sending_campaign(shop)
    client = merchant_client(shop)
    client.post(reverse("admin:campaigns_campaign_send", args=[campaign.id]), {"_confirm": "1"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert b"sms-pause" in client.get(change("campaign", campaign.id)).content

    asked = client.get(lifecycle_url(campaign, "pause")).content.decode()
    assert "the 3 not yet sent wait until you resume" in asked and "they still go out" in asked
    paused = client.post(lifecycle_url(campaign, "pause"), follow=True)
    assert "still go out" in texts(paused)[0] and b"sms-paused-note" in paused.content
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED

    client.post(lifecycle_url(campaign, "resume"))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING

    assert "given back" in client.get(lifecycle_url(campaign, "cancel")).content.decode()
    client.post(lifecycle_url(campaign, "cancel"))
    campaign.refresh_from_db()
    shop.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED and shop.credits_held == 0 and ledger_matches(shop)


def test_a_change_the_status_does_not_allow_is_refused_and_changes_nothing():
    shop = funded_shop(10)
    campaign = sending_campaign(shop, status=Campaign.Status.COMPLETED)
    client = merchant_client(shop)
    assert b"cannot be changed this way" in client.get(lifecycle_url(campaign, "pause")).content
    refused = client.post(lifecycle_url(campaign, "pause"), follow=True)
    assert "was not done" in texts(refused)[0]
    assert client.get(lifecycle_url(campaign, "explode")).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
