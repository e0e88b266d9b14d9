"""Pre-flight numbers (audience/preflight.py) equal what enqueue then does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Contact
from campaigns.tests.support.send_helpers import add_contacts, api_for, funded_shop, sending_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dispatch")]


def _audience(shop):
    """4 messageable (1 of them capped), 2 never consented, 1 opted out, 1 outside the tag."""
    contacts = add_contacts(shop, 5, tags=["vip"])
    add_contacts(shop, 2, start=10, tags=["vip"], sms_consent=False)
    add_contacts(shop, 1, start=20, tags=["other"])
    Contact.objects.filter(id=contacts[4].id).update(sms_consent=False, opted_out_at=timezone.now())
    earlier = sending_campaign(shop, status=Campaign.Status.COMPLETED, finished_at=timezone.now())
    CampaignRecipient.objects.create(
        campaign=earlier, contact=contacts[0], phone=contacts[0].phone, batch_no=0, status="delivered",
        sent_at=timezone.now() - timedelta(hours=1),
    )


def test_preflight_numbers_equal_what_enqueue_then_does():
    shop = funded_shop(1000, frequency_cap_hours=12, append_opt_out=True)
    _audience(shop)
    campaign = sending_campaign(shop, body="z" * 150, audience={"tags": ["vip"]})
    api = api_for(shop)

    preflight = api.get(f"/api/v1/campaigns/{campaign.id}/preflight").json()

    assert preflight == {
        "ok": True, "campaignId": campaign.id, "messaged": 3,
        "excluded": {"no_consent": 2, "opted_out": 1, "duplicate": 0, "invalid_number": 0, "frequency_cap": 1},
        "heldQuietHours": 0, "encoding": "GSM-7", "segments": 2, "creditsNeeded": 6, "creditsAvailable": 1000,
    }
    enqueue = api.post(f"/api/v1/campaigns/{campaign.id}/enqueue").json()
    assert (enqueue["created"], enqueue["skippedFrequencyCap"]) == (3, 1)
    shop.refresh_from_db()
    campaign.refresh_from_db()
    assert (shop.credits_held, campaign.segments) == (preflight["creditsNeeded"], preflight["segments"])


def test_preflight_changes_nothing_and_is_scoped_to_the_shop():
    shop, other = funded_shop(100), funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop)

    assert api_for(shop).get(f"/api/v1/campaigns/{campaign.id}/preflight").json()["messaged"] == 2
    assert api_for(other).get(f"/api/v1/campaigns/{campaign.id}/preflight").status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == "draft" and not CampaignRecipient.objects.exists()
