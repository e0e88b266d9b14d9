"""Admin forms never lose nor overwrite data: an existing number is refused (linked, nothing changed), a refused
campaign save keeps what was typed and names what to fix, and a consent change is an explicit, noted choice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, ConsentEvent, Contact
from campaigns.tests.support.admin_helpers import change, merchant_client, superuser_client
from campaigns.tests.support.factories import CampaignFactory, ShopFactory
from campaigns.tests.support.send_helpers import add_contacts

pytestmark = pytest.mark.django_db

ADD_CONTACT = "/admin/campaigns/contact/add/"
ADD_CAMPAIGN = "/admin/campaigns/campaign/add/"


def contact_form(phone, **fields):
    return {"phone": phone, "first_name": "", "last_name": "", "tags": "", "sms_consent": "False", **fields}


def campaign_form(**fields):
    return {"name": "Spring sale", "body": "Hi {{ first_name }}", "sender": "", "audience": "",
            "scheduled_at_0": "", "scheduled_at_1": "", **fields}


def errors(page) -> dict:
    return page.context["adminform"].form.errors


def test_adding_an_existing_number_is_refused_with_a_link_and_changes_nothing():
    shop = ShopFactory()
    existing = add_contacts(shop, 1, tags=["vip"])[0]
    before = Contact.objects.values().get(id=existing.id)
    page = merchant_client(shop).post(ADD_CONTACT, contact_form("+30 691-000 0000"))
    assert page.status_code == 200
    assert f'/admin/campaigns/contact/{existing.id}/change/' in page.content.decode()
    assert "already a contact" in " ".join(errors(page)["phone"])
    assert Contact.objects.values().get(id=existing.id) == before
    assert not ConsentEvent.objects.exists()


def test_another_shops_number_is_no_conflict_and_never_linked():
    mine, theirs = ShopFactory(), ShopFactory()
    foreign = add_contacts(theirs, 1)[0]
    page = merchant_client(mine).post(ADD_CONTACT, contact_form(foreign.phone))
    assert page.status_code == 302
    assert Contact.objects.filter(shop=mine, phone=foreign.phone).exists()
    assert Contact.objects.get(id=foreign.id).sms_consent is True


def test_a_new_contact_has_no_consent_preselected_and_granting_needs_a_note():
    shop = ShopFactory()
    client = merchant_client(shop)
    page = client.get(ADD_CONTACT)
    assert page.context["adminform"].form["sms_consent"].value() is None
    assert "sms_consent" in errors(client.post(ADD_CONTACT, {"phone": "+306955555555", "tags": ""}))
    refused = client.post(ADD_CONTACT, contact_form("+306955555555", sms_consent="True"))
    assert "consent_note" in errors(refused) and refused.context["adminform"].form["phone"].value() == "+306955555555"
    assert not Contact.objects.exists()


def test_a_consent_change_without_a_note_keeps_the_form_and_changes_nothing():
    shop = ShopFactory()
    contact = add_contacts(shop, 1)[0]
    page = merchant_client(shop).post(change("contact", contact.id),
                                      contact_form(contact.phone, first_name="Changed", sms_consent="False"))
    assert "consent_note" in errors(page) and page.context["adminform"].form["first_name"].value() == "Changed"
    contact.refresh_from_db()
    assert contact.sms_consent is True and contact.first_name != "Changed"


@pytest.mark.parametrize("fields, field, words", [
    ({"body": "Hi {{ nickname }}"}, "body", "nickname"),
    ({"scheduled_at_0": "2020-01-01", "scheduled_at_1": "10:00"}, "scheduled_at", "future"),
    ({"body": "x" * 1601}, "body", "at most"),
    ({"sender": "!"}, "sender", ""),
])
def test_a_refused_new_campaign_keeps_what_was_typed_and_names_the_field(fields, field, words):
    shop = ShopFactory()
    typed = campaign_form(**fields)
    page = merchant_client(shop).post(ADD_CAMPAIGN, typed)
    assert page.status_code == 200 and words.lower() in " ".join(errors(page)[field]).lower()
    form = page.context["adminform"].form
    assert form["name"].value() == "Spring sale" and form["body"].value() == typed["body"]
    assert not Campaign.objects.exists()


def test_a_refused_edit_keeps_the_new_body_on_the_page_and_the_old_in_the_database():
    shop = ShopFactory()
    draft = CampaignFactory(shop=shop, body="Hi")
    page = merchant_client(shop).post(change("campaign", draft.id), campaign_form(body="Hey {{ nickname }}"))
    assert page.status_code == 200 and page.context["adminform"].form["body"].value() == "Hey {{ nickname }}"
    assert "nickname" in " ".join(errors(page)["body"])
    assert Campaign.objects.get(id=draft.id).body == "Hi"


def test_a_save_says_it_once():
    shop = ShopFactory()
    page = merchant_client(shop).post(ADD_CAMPAIGN, campaign_form(), follow=True)
    assert len(list(page.context["messages"])) == 1


def test_a_superuser_schedule_in_the_future_is_saved_for_the_chosen_shop():
    shop = ShopFactory()
    later = timezone.now() + timedelta(days=2)
    page = superuser_client().post(ADD_CAMPAIGN, campaign_form(
        shop=shop.id, scheduled_at_0=later.strftime("%Y-%m-%d"), scheduled_at_1=later.strftime("%H:%M:%S")))
    assert page.status_code == 302
    assert Campaign.objects.get().status == Campaign.Status.SCHEDULED
