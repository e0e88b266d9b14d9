import pytest

from campaigns.models import ConsentEvent, Contact
from campaigns.tests.support.factories import ContactFactory, ShopFactory

URL = "/api/v1/contacts/"


def post_contact(api, **data):
    return api.post(URL, data, format="json")


def events(contact_phone):
    return list(ConsentEvent.objects.filter(phone=contact_phone).order_by("id").values_list("action", "source"))


def test_a_new_contact_is_created_with_its_phone_in_e164(api, shop):
    shop.default_region = "GR"
    shop.save()
    response = post_contact(api, phone="691 234 5678", first_name="Maria", sms_consent=True, tags=["vip"])
    assert response.status_code == 201
    body = response.json()
    assert body["phone"] == "+306912345678"
    assert (body["first_name"], body["tags"], body["sms_consent"]) == ("Maria", ["vip"], True)
    assert body["consent_source"] == "api"
    assert body["consent_at"] is not None
    assert Contact.objects.get(pk=body["id"]).shop == shop


def test_the_same_phone_again_updates_the_contact_and_keeps_fields_not_given(api, shop):
    created = post_contact(api, phone="+306912345678", first_name="Maria", sms_consent=True, tags=["vip"]).json()
    response = post_contact(api, phone="+30 691 234 5678", last_name="Papa", sms_consent=True)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert (body["first_name"], body["last_name"], body["tags"]) == ("Maria", "Papa", ["vip"])
    assert body["consent_at"] == created["consent_at"]
    assert Contact.objects.filter(shop=shop).count() == 1


def test_an_invalid_phone_is_a_400_field_error_and_writes_nothing(api, shop):
    response = post_contact(api, phone="12", sms_consent=True)
    assert response.status_code == 400
    body = response.json()
    assert (body["ok"], body["reason"]) == (False, "validation_error")
    assert "is not a valid phone number in region US" in body["errors"]["phone"][0]
    assert not Contact.objects.exists()


def test_phone_and_consent_are_required_and_field_types_checked(api, shop):
    response = post_contact(api, first_name=7, tags="vip")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"phone", "sms_consent", "first_name", "tags"}


def test_consent_granted_withdrawn_and_granted_again_is_recorded(api, shop):
    phone = "+306912345678"
    post_contact(api, phone=phone, sms_consent=True)
    withdrawn = post_contact(api, phone=phone, sms_consent=False).json()
    assert (withdrawn["sms_consent"], withdrawn["opted_out_at"] is not None) == (False, True)
    again = post_contact(api, phone=phone, sms_consent=True).json()
    assert (again["sms_consent"], again["opted_out_at"]) == (True, None)
    post_contact(api, phone=phone, sms_consent=True)
    assert events(phone) == [("granted", "api"), ("withdrawn", "api"), ("granted", "api")]


def test_a_new_contact_without_consent_is_not_an_opt_out(api, shop):
    body = post_contact(api, phone="+306912345678", sms_consent=False).json()
    assert (body["sms_consent"], body["opted_out_at"]) == (False, None)
    assert events("+306912345678") == []


def test_list_is_paginated_and_shows_only_the_shops_contacts(api, shop):
    ContactFactory.create_batch(3, shop=shop)
    ContactFactory(shop=ShopFactory())
    body = api.get(URL).json()
    assert body["previous"] is None and body["next"] is None
    assert {row["id"] for row in body["results"]} == set(Contact.objects.filter(shop=shop).values_list("id", flat=True))


def test_list_filters_by_opt_out_and_tag(api, shop):
    vip = ContactFactory(shop=shop, tags=["vip", "athens"])
    out = ContactFactory(shop=shop, tags=["athens"], sms_consent=False, opted_out_at="2025-01-01T00:00:00Z")
    ContactFactory(shop=shop, tags=["vip-ish"])
    ContactFactory(shop=ShopFactory(), tags=["vip"])

    def ids(query):
        response = api.get(URL + query)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("?tag=vip") == {vip.id}
    assert ids("?opted_out=true") == {out.id}
    assert ids("?opted_out=false&tag=athens") == {vip.id}


@pytest.mark.parametrize("query", ["?opted_out=maybe", "?tag=" + "x" * 51, "?tag=a%00b"])
def test_bad_filters_are_400(api, shop, query):
    response = api.get(URL + query)
    assert response.status_code == 400
    assert response.json()["reason"] == "validation_error"


def test_detail_get_patch_delete(api, shop):
    contact = ContactFactory(shop=shop, first_name="Ann", tags=["a"])
    url = f"{URL}{contact.id}/"
    assert api.get(url).json()["phone"] == contact.phone
    response = api.patch(url, {"first_name": "Anna", "sms_consent": False, "phone": "+306999999999"}, format="json")
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.first_name, contact.tags, contact.phone) == ("Anna", ["a"], "+306999999999")
    assert contact.sms_consent is False
    assert contact.opted_out_at is not None
    assert events("+306999999999") == [("withdrawn", "api")]
    assert api.delete(url).status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert events("+306999999999") == [("withdrawn", "api")]


def test_patch_to_a_phone_another_contact_has_is_400(api, shop):
    first, second = ContactFactory.create_batch(2, shop=shop)
    response = api.patch(f"{URL}{second.id}/", {"phone": first.phone}, format="json")
    assert response.status_code == 400
    assert "Another contact" in response.json()["errors"]["phone"][0]
    second.refresh_from_db()
    assert second.phone != first.phone


def test_patch_with_an_invalid_field_changes_nothing(api, shop):
    contact = ContactFactory(shop=shop, first_name="Ann")
    response = api.patch(f"{URL}{contact.id}/", {"first_name": "Anna", "tags": [""]}, format="json")
    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.first_name == "Ann"
