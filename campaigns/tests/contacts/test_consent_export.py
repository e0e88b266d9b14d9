"""A contact's consent history exported as JSON (contacts/consent_export.py)."""

import pytest
from django.utils import timezone

from campaigns.services.contacts.consent import consent_event
from campaigns.services.contacts.optout import contacts_opt_in, contacts_opt_out
from campaigns.tests.support.factories import ContactFactory
from campaigns.tests.support.send_helpers import api_for, funded_shop

pytestmark = pytest.mark.django_db


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
