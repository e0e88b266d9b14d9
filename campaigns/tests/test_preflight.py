"""Pre-flight numbers equal what enqueue then does; a contact's consent history is exported as JSON."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Contact
from campaigns.services.contacts.consent import consent_event
from campaigns.services.contacts.optout import contacts_opt_in, contacts_opt_out
from campaigns.tests.factories import ContactFactory
from campaigns.tests.send_helpers import add_contacts, api_for, funded_shop, sending_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_dispatch(monkeypatch):
    monkeypatch.setattr("campaigns.services.sending.dispatch.batches_dispatch_on_commit", lambda *, campaign_id: None)


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


def test_the_consent_history_of_a_contact_is_exported_oldest_first():
    shop, other = funded_shop(0), funded_shop(0)
    contact = ContactFactory(shop=shop, phone="+306912345678", sms_consent=True)
    consent_event(contact, "granted", source="api").save()
    contacts_opt_out(phone=contact.phone, shop_ids=[shop.id], text="STOP", now=timezone.now())
    contacts_opt_in(phone=contact.phone, shop_ids=[shop.id], text="START", now=timezone.now())

    response = api_for(shop).get(f"/api/v1/contacts/{contact.id}/consent")

    body = response.json()
    assert (body["contactId"], body["phone"], body["smsConsent"], body["optedOutAt"]) == (
        contact.id, "+306912345678", True, None
    )
    assert [(e["action"], e["source"], e["detail"]) for e in body["events"]] == [
        ("granted", "api", ""), ("withdrawn", "sms_reply", "STOP"), ("granted", "sms_reply", "START"),
    ]
    assert all(e["occurredAt"] for e in body["events"])
    assert api_for(other).get(f"/api/v1/contacts/{contact.id}/consent").status_code == 404


def test_a_campaigns_segments_include_the_opt_out_language_from_creation():
    shop = funded_shop(0, append_opt_out=True)
    response = api_for(shop).post("/api/v1/campaigns/", {"name": "Sale", "body": "w" * 150}, format="json")
    assert response.status_code == 201
    assert Campaign.objects.get(id=response.json()["id"]).segments == 2
