"""A number erased at its owner's request (Shopify customers/redact) stays suppressed on every path that adds or
changes a contact: the REST API (single, bulk, PATCH), the CSV import and the admin's Add contact refuse it with
a reason and write nothing for it; the other rows of a bulk call or import are written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.admin.contacts_import import csv_rows, import_rows
from campaigns.models import ConsentEvent, Contact, SuppressedPhone
from campaigns.services.contacts.suppression import phone_hash
from campaigns.tests.support.admin_helpers import merchant_client
from campaigns.tests.support.factories import ContactFactory, ShopFactory

pytestmark = pytest.mark.django_db
ERASED = "+306912345699"


@pytest.fixture
def erased(shop):
    shop.default_region = "GR"
    shop.save()
    return SuppressedPhone.objects.create(shop=shop, phone_hash=phone_hash(ERASED))


def _nothing_of_the_number() -> bool:
    return not Contact.objects.filter(phone=ERASED).exists() and not ConsentEvent.objects.filter(
        phone=ERASED).exists()


def test_the_api_refuses_to_add_an_erased_number_again_in_any_spelling(api, shop, erased):
    for phone in (ERASED, "+30 691 234 5699", "6912345699"):
        answer = api.post("/api/v1/contacts/", {"phone": phone, "sms_consent": True}, format="json")
        assert answer.status_code == 400 and "erased at its owner's request" in answer.content.decode(), phone
    assert _nothing_of_the_number()


def test_a_bulk_call_rejects_the_erased_rows_by_index_and_writes_the_others(api, shop, erased):
    answer = api.post("/api/v1/contacts/bulk", {"contacts": [
        {"phone": "+306912345601", "sms_consent": True},
        {"phone": ERASED, "sms_consent": True},
        {"phone": "not a phone", "sms_consent": True},
        {"phone": "+30 691 234 5699", "sms_consent": False},
    ]}, format="json")
    body = answer.json()
    assert answer.status_code == 200 and (body["created"], body["updated"]) == (1, 0)
    assert [row["index"] for row in body["rejected"]] == [1, 2, 3]
    assert all("erased at its owner's request" in body["rejected"][i]["error"] for i in (0, 2))
    assert _nothing_of_the_number() and Contact.objects.filter(phone="+306912345601", sms_consent=True).exists()


def test_a_bulk_call_checks_the_erased_numbers_in_one_query(api, shop, erased, django_assert_max_num_queries):
    rows = [{"phone": f"+30691200{n:04d}", "sms_consent": True} for n in range(2000)]
    with django_assert_max_num_queries(30):
        assert api.post("/api/v1/contacts/bulk", {"contacts": rows}, format="json").json()["created"] == 2000


def test_a_contact_cannot_be_given_an_erased_number(api, shop, erased):
    contact = ContactFactory(shop=shop, phone="+306912345601")
    answer = api.patch(f"/api/v1/contacts/{contact.id}/", {"phone": ERASED}, format="json")
    assert answer.status_code == 400 and "erased at its owner's request" in answer.content.decode()
    contact.refresh_from_db()
    assert contact.phone == "+306912345601" and _nothing_of_the_number()


def test_another_shops_erasure_does_not_suppress_the_number_here(api, shop):
    SuppressedPhone.objects.create(shop=ShopFactory(), phone_hash=phone_hash(ERASED))
    assert api.post("/api/v1/contacts/", {"phone": ERASED, "sms_consent": True}, format="json").status_code == 201


def test_the_csv_import_rejects_the_erased_row_with_its_line(shop, erased):
    parsed = csv_rows("phone,sms_consent\n+306912345601,yes\n6912345699,yes\n")
    report = import_rows(shop=shop, parsed=parsed)
    assert report["created"] == 1 and [r["line"] for r in report["rejected"]] == [3]
    assert "erased at its owner's request" in report["rejected"][0]["error"] and _nothing_of_the_number()


def test_the_import_summary_still_adds_up_with_erased_and_duplicate_rows(shop, erased):
    parsed = csv_rows("phone,sms_consent\n6912345699,yes\n+306912345601,yes\n+306912345601,no\n"
                      "+30 691 234 5699,no\nnot a phone,yes\n")
    report = import_rows(shop=shop, parsed=parsed)
    assert (report["created"], report["updated"], report["duplicates"]) == (1, 0, 1)
    assert [r["line"] for r in report["rejected"]] == [2, 5, 6]
    assert report["created"] + report["updated"] + report["duplicates"] + len(report["rejected"]) == report["rows"] == 5


def test_the_admins_add_contact_refuses_an_erased_number(shop, erased):
    page = merchant_client(shop).post("/admin/campaigns/contact/add/", {
        "phone": ERASED, "first_name": "", "last_name": "", "tags": "", "sms_consent": "True",
        "consent_note": "asked at the till"}, follow=True)
    assert "erased at its owner&#x27;s request" in page.content.decode()
    assert _nothing_of_the_number()


def test_the_csv_import_page_shows_the_refusal(shop, erased):
    page = merchant_client(shop).post("/admin/campaigns/contact/import/", {
        "shop": shop.id, "file": SimpleUploadedFile("c.csv", f"phone,sms_consent\n{ERASED},yes\n".encode(),
                                                    "text/csv")})
    assert page.context["report"]["rejected"][0]["line"] == 2 and _nothing_of_the_number()
