"""Test sends fill the placeholders: from the shop's contact with that number, else from sample names (and say
which); the quote shown before sending changes nothing and states the segments the send then charges."""

import json

import pytest
import responses

from campaigns.models import CampaignLink, Contact, CreditTransaction
from campaigns.services.audience.send_summary import EXAMPLE_NAMES
from campaigns.services.sending.one_off import campaign_test_quote, campaign_test_send
from campaigns.tests.support.send_helpers import SEND_URL, funded_shop, ledger_matches, sending_campaign
from messaging.models import MessageLog

pytestmark = pytest.mark.django_db
PHONE = "+306912345678"


def accepting(mock):
    mock.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})


@responses.activate
def test_the_shops_contact_with_that_number_fills_the_names():
    shop = funded_shop(10, default_region="GR")
    Contact.objects.create(shop=shop, phone=PHONE, first_name="Anna", last_name="Pappa", sms_consent=True)
    campaign = sending_campaign(shop, body="Hi {{ first_name }} {{ last_name }}")
    accepting(responses)

    sent = campaign_test_send(shop=shop, campaign_id=campaign.id, phone="691 234 5678")

    assert json.loads(responses.calls[0].request.body)["sms"]["text"].startswith("Hi Anna Pappa")
    assert sent.test.contact.first_name == "Anna" and sent.test.names == ("Anna", "Pappa")
    assert sent.log.text.startswith("Hi Anna Pappa")


@responses.activate
def test_a_number_of_no_contact_gets_the_sample_names_and_another_shops_contact_is_never_used():
    shop, other = funded_shop(10, default_region="GR"), funded_shop(10, default_region="GR")
    Contact.objects.create(shop=other, phone=PHONE, first_name="Secret", last_name="Person", sms_consent=True)
    campaign = sending_campaign(shop, body="Hi {{ first_name }}")
    accepting(responses)

    sent = campaign_test_send(shop=shop, campaign_id=campaign.id, phone=PHONE)

    assert sent.test.contact is None and sent.test.names == EXAMPLE_NAMES
    text = json.loads(responses.calls[0].request.body)["sms"]["text"]
    assert text.startswith(f"Hi {EXAMPLE_NAMES[0]}") and "Secret" not in text


@responses.activate
def test_the_quote_changes_nothing_and_states_the_segments_the_send_charges():
    """A long name makes the message two segments: the quote says 2, and the send charges 2."""
    shop = funded_shop(10, default_region="GR")
    Contact.objects.create(shop=shop, phone=PHONE, first_name="B" * 40, sms_consent=True)
    campaign = sending_campaign(shop, body="Hi {{ first_name }}, see https://example.com/sale " + "x" * 90)
    rows_before = CreditTransaction.objects.count()

    quote = campaign_test_quote(shop=shop, campaign_id=campaign.id, phone=PHONE)

    assert quote.segments == 2 and quote.message.text.startswith("Hi " + "B" * 40)
    assert CreditTransaction.objects.count() == rows_before and not MessageLog.objects.exists()
    assert not CampaignLink.objects.filter(campaign=campaign).exists() and len(responses.calls) == 0
    accepting(responses)
    sent = campaign_test_send(shop=shop, campaign_id=campaign.id, phone=PHONE)
    shop.refresh_from_db()
    assert sent.test.segments == 2 and shop.credits == 8 and ledger_matches(shop)
    assert len(sent.test.message.text) == len(quote.message.text)
