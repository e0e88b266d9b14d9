"""The send-time consent check (sending/exclusions.py): a contact opted out or deleted since enqueue is not
messaged and costs nothing."""

import pytest
import responses
from django.utils import timezone

from campaigns.models import CampaignRecipient, Contact
from campaigns.services.contacts.optout import contacts_opt_out
from campaigns.services.sending.batch_send import batch_send
from campaigns.tests.support.send_helpers import (
    bulk_bodies,
    enqueued_contacts,
    funded_shop,
    ledger_matches,
    mitto_accepts,
)
from metrics.models import CampaignMetrics

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dispatch")]


@responses.activate
def test_a_contact_opted_out_after_enqueue_is_not_messaged_and_costs_nothing():
    shop = funded_shop(1000)
    contacts, campaign, batch = enqueued_contacts(shop, 3, body="x" * 200)  # two segments each
    contacts_opt_out(phone=contacts[1].phone, shop_ids=[shop.id], text="STOP", now=timezone.now())
    Contact.objects.filter(id=contacts[2].id).update(sms_consent=False)
    mitto_accepts()

    assert batch_send(batch_id=batch.id).status == "submitted"

    destinations = [m["destination"] for body in bulk_bodies() for m in body["messages"]]
    assert destinations == [contacts[0].phone]
    rows = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")
    assert [(r.phone, r.status, r.error) for r in rows] == [
        (contacts[0].phone, "sent", ""),
        (contacts[1].phone, "cancelled", "opted_out"),
        (contacts[2].phone, "cancelled", "opted_out"),
    ]
    m = CampaignMetrics.objects.get(campaign=campaign)
    assert (m.total, m.queued, m.sent, m.cancelled, m.failed) == (3, 0, 1, 2, 0)
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000 - 2, 0)
    assert ledger_matches(shop)
    campaign.refresh_from_db()
    assert campaign.status == "completed"


@responses.activate
def test_a_batch_whose_contacts_all_opted_out_makes_no_request_and_releases_its_hold():
    shop = funded_shop(100)
    contacts, campaign, batch = enqueued_contacts(shop, 2)
    contacts_opt_out(phone=contacts[0].phone, shop_ids=[shop.id], text="STOP", now=timezone.now())
    contacts_opt_out(phone=contacts[1].phone, shop_ids=[shop.id], text="stop", now=timezone.now())
    mitto_accepts()

    batch_send(batch_id=batch.id)

    assert bulk_bodies() == []
    assert set(CampaignRecipient.objects.filter(campaign=campaign).values_list("status", "error")) == {
        ("cancelled", "opted_out")
    }
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (100, 0)
    assert ledger_matches(shop)
    batch.refresh_from_db()
    campaign.refresh_from_db()
    assert (batch.status, campaign.status) == ("submitted", "completed")


@responses.activate
def test_a_contact_deleted_after_enqueue_is_not_messaged():
    shop = funded_shop(100)
    contacts, campaign, batch = enqueued_contacts(shop, 2)
    Contact.objects.filter(id=contacts[0].id).delete()
    mitto_accepts()

    batch_send(batch_id=batch.id)

    assert [m["destination"] for m in bulk_bodies()[0]["messages"]] == [contacts[1].phone]
    assert CampaignRecipient.objects.get(campaign=campaign, phone=contacts[0].phone).status == "cancelled"
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (99, 0)
