"""A reply STOP wins (API.md "Consent: who may change it"): no API call (single, bulk, PATCH), CSV import, admin
edit or Shopify sync that merely says sms_consent true gives consent back; a START reply, or a Shopify consent
dated after the STOP, does. Every change is in the consent history."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns.models import ConsentEvent, Contact
from campaigns.services.contacts.optout import contacts_opt_in, contacts_opt_out
from campaigns.services.contacts.upsert import contact_upsert, contacts_bulk_upsert
from campaigns.tests.support.admin_helpers import change, merchant_client
from campaigns.tests.support.send_helpers import api_for, funded_shop

pytestmark = pytest.mark.django_db

PHONE = "+306912345678"
OTHER = "+306912345679"


@pytest.fixture
def shop():
    return funded_shop(0)


@pytest.fixture
def stopped(shop):
    """PHONE, a consenting contact of `shop` who then replied STOP."""
    api_for(shop).post("/api/v1/contacts/", {"phone": PHONE, "sms_consent": True}, format="json")
    contacts_opt_out(phone=PHONE, shop_ids=[shop.id], text="STOP", now=timezone.now(), sender="MyShop")
    return Contact.objects.get(shop=shop, phone=PHONE)


def _unchanged(contact: Contact) -> bool:
    now = Contact.objects.get(id=contact.id)
    fields = ("sms_consent", "opted_out_at", "consent_source", "reply_opted_out_at", "consent_at")
    return [getattr(now, f) for f in fields] == [getattr(contact, f) for f in fields] and not now.sms_consent


def _actions(shop) -> list[tuple[str, str]]:
    return list(ConsentEvent.objects.filter(shop=shop, phone=PHONE).order_by("id").values_list("action", "source"))


def test_a_single_upsert_saying_consent_leaves_a_stop_in_place_and_says_so(shop, stopped):
    response = api_for(shop).post("/api/v1/contacts/", {"phone": PHONE, "sms_consent": True, "first_name": "Ann"},
                                  format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["sms_consent"], body["opted_out_by"], body["first_name"]) == (False, "sms_reply", "Ann")
    assert _unchanged(stopped)
    assert _actions(shop) == [("granted", "api"), ("withdrawn", "sms_reply")]


def test_a_patch_saying_consent_leaves_a_stop_in_place(shop, stopped):
    response = api_for(shop).patch(f"/api/v1/contacts/{stopped.id}/", {"sms_consent": True}, format="json")
    assert response.status_code == 200
    assert response.json()["opted_out_by"] == "sms_reply"
    assert _unchanged(stopped)


def test_bulk_counts_the_rows_a_stop_kept_opted_out_and_grants_the_others(shop, stopped):
    api_for(shop).post("/api/v1/contacts/", {"phone": OTHER, "sms_consent": False}, format="json")
    rows = [{"phone": PHONE, "sms_consent": True}, {"phone": OTHER, "sms_consent": True},
            {"phone": "+306912345670", "sms_consent": True}]
    response = api_for(shop).post("/api/v1/contacts/bulk", {"contacts": rows}, format="json")
    assert response.json() == {"created": 1, "updated": 2, "rejected": [], "kept_opted_out": 1}
    assert _unchanged(stopped)
    assert Contact.objects.get(shop=shop, phone=OTHER).sms_consent  # opted out by the API, not by a reply


def test_a_csv_import_leaves_a_stop_in_place(shop, stopped):
    text = f"phone,sms_consent\n{PHONE},yes\n"
    page = merchant_client(shop).post("/admin/campaigns/contact/import/", {
        "shop": shop.id, "file": SimpleUploadedFile("nightly.csv", text.encode(), "text/csv")}).content.decode()
    assert "1 kept opted out" in page
    assert _unchanged(stopped)


def test_an_admin_edit_leaves_a_stop_in_place(shop, stopped):
    form = {"phone": PHONE, "first_name": "", "last_name": "", "tags": "[]", "sms_consent": "on"}
    client = merchant_client(shop)
    response = client.post(change("contact", stopped.id), form, follow=True)
    assert "stays opted out" in response.content.decode()
    assert _unchanged(stopped)


def test_withdrawing_stays_possible_and_a_start_reply_gives_consent_back(shop, stopped):
    assert contact_upsert(shop=shop, data={"phone": PHONE, "sms_consent": False}).kept_opted_out is False
    contacts_opt_in(phone=PHONE, shop_ids=[shop.id], text="START", now=timezone.now())
    written = contact_upsert(shop=shop, data={"phone": PHONE, "sms_consent": True})
    assert written.contact.sms_consent and written.contact.opted_out_at is None and not written.kept_opted_out
    assert api_for(shop).get(f"/api/v1/contacts/{stopped.id}/").json()["opted_out_by"] is None


def test_a_shopify_consent_counts_only_when_dated_after_the_stop(shop, stopped):
    before, after = stopped.reply_opted_out_at - timedelta(minutes=1), stopped.reply_opted_out_at + timedelta(seconds=1)
    for row in ({"phone": PHONE, "sms_consent": True}, {"phone": PHONE, "sms_consent": True,
                                                         "consent_updated_at": before.isoformat()}):
        assert contacts_bulk_upsert(shop=shop, rows=[row], source="shopify").kept_opted_out == 1
        assert _unchanged(stopped)

    written = contact_upsert(shop=shop, data={"phone": PHONE, "sms_consent": True, "consent_updated_at": after},
                             source="shopify")
    assert not written.kept_opted_out
    assert written.contact.sms_consent and written.contact.reply_opted_out_at is None
    assert _actions(shop)[-1] == ("granted", "shopify")


def test_an_api_client_cannot_date_its_own_consent_after_the_stop(shop, stopped):
    later = (timezone.now() + timedelta(days=1)).isoformat()
    response = api_for(shop).post("/api/v1/contacts/", {"phone": PHONE, "sms_consent": True,
                                                        "consent_updated_at": later}, format="json")
    assert response.json()["opted_out_by"] == "sms_reply"
    assert _unchanged(stopped)


def test_a_bad_shopify_consent_time_rejects_the_row(shop):
    result = contacts_bulk_upsert(shop=shop, rows=[{"phone": PHONE, "sms_consent": True,
                                                    "consent_updated_at": "yesterday"}], source="shopify")
    assert result.rejected[0]["error"].startswith("consent_updated_at:")


def test_bulk_keeps_ten_thousand_stops_set_based(shop, django_assert_max_num_queries):
    """Half of 10,000 rows are contacts who replied STOP: one call, a bounded number of queries (no per-row
    write), every STOP kept."""
    phones = [f"+3069{n:08d}" for n in range(10_000)]
    contacts_bulk_upsert(shop=shop, rows=[{"phone": phone, "sms_consent": True} for phone in phones])
    stopped = phones[::2]
    for start in range(0, len(stopped), 1000):
        Contact.objects.filter(shop=shop, phone__in=stopped[start:start + 1000]).update(
            sms_consent=False, opted_out_at=timezone.now(), reply_opted_out_at=timezone.now())
    with django_assert_max_num_queries(40):
        result = contacts_bulk_upsert(shop=shop, rows=[{"phone": phone, "sms_consent": True} for phone in phones])
    assert (result.updated, result.kept_opted_out) == (10_000, 5_000)
    assert Contact.objects.filter(shop=shop, sms_consent=True).count() == 5_000
