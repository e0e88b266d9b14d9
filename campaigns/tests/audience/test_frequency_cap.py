"""The shop's frequency cap: contacts messaged by any of its campaigns in the last N hours are skipped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.send_helpers import add_contacts, api_for, funded_shop, ledger_matches, sending_campaign
from metrics.models import CampaignMetrics

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dispatch")]


def _earlier_campaign(shop, contacts, *, hours_ago: float, finished: bool = True):
    """A finished campaign of `shop` that messaged `contacts` `hours_ago` hours ago."""
    at = timezone.now() - timedelta(hours=hours_ago)
    campaign = sending_campaign(shop, status=Campaign.Status.COMPLETED if finished else Campaign.Status.SENDING,
                                finished_at=at if finished else None)
    CampaignRecipient.objects.bulk_create(
        CampaignRecipient(campaign=campaign, contact=c, phone=c.phone, batch_no=0, status="delivered", sent_at=at)
        for c in contacts
    )


def _enqueued_phones(campaign):
    return set(CampaignRecipient.objects.filter(campaign=campaign).values_list("phone", flat=True))


def test_contacts_messaged_within_the_cap_are_skipped_and_counted():
    shop = funded_shop(1000, frequency_cap_hours=24)
    contacts = add_contacts(shop, 5)
    _earlier_campaign(shop, contacts[:2], hours_ago=3)
    _earlier_campaign(shop, contacts[2:3], hours_ago=30)  # outside the cap
    campaign = sending_campaign(shop)

    result = campaign_enqueue(shop=shop, campaign_id=campaign.id)

    assert (result.created, result.skipped_frequency_cap) == (3, 2)
    assert _enqueued_phones(campaign) == {c.phone for c in contacts[2:]}
    assert CampaignMetrics.objects.get(campaign=campaign).total == 3
    shop.refresh_from_db()
    assert shop.credits_held == 3
    assert ledger_matches(shop)


def test_a_message_of_a_campaign_still_sending_counts():
    shop = funded_shop(1000, frequency_cap_hours=2)
    contacts = add_contacts(shop, 2)
    _earlier_campaign(shop, contacts[:1], hours_ago=1, finished=False)
    campaign = sending_campaign(shop)

    assert campaign_enqueue(shop=shop, campaign_id=campaign.id).skipped_frequency_cap == 1
    assert _enqueued_phones(campaign) == {contacts[1].phone}


def test_another_shops_messages_do_not_count():
    shop, other = funded_shop(1000, frequency_cap_hours=24), funded_shop(1000)
    contacts = add_contacts(shop, 2)
    _earlier_campaign(other, contacts, hours_ago=1)
    campaign = sending_campaign(shop)

    assert campaign_enqueue(shop=shop, campaign_id=campaign.id).skipped_frequency_cap == 0
    assert len(_enqueued_phones(campaign)) == 2


def test_without_a_cap_recent_contacts_are_messaged_again():
    shop = funded_shop(1000)
    contacts = add_contacts(shop, 2)
    _earlier_campaign(shop, contacts, hours_ago=1)
    campaign = sending_campaign(shop)

    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue")

    assert (response.json()["created"], response.json()["skippedFrequencyCap"]) == (2, 0)


def test_everyone_capped_is_no_recipients():
    shop = funded_shop(1000, frequency_cap_hours=24)
    contacts = add_contacts(shop, 2)
    _earlier_campaign(shop, contacts, hours_ago=1)
    campaign = sending_campaign(shop)

    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue")

    assert (response.status_code, response.json()["reason"]) == (400, "no_recipients")
