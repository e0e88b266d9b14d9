"""The contact admin's consent record: the history of the merchant's own shop, its download (the API's JSON,
or CSV), and consent changed in the admin or by CSV import recorded as events with their source."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns.models import ConsentEvent, Contact
from campaigns.services.contacts.optout import contacts_opt_in, contacts_opt_out
from campaigns.tests.support.admin_helpers import change, merchant_client, superuser_client
from campaigns.tests.support.send_helpers import add_contacts, api_for, funded_shop

pytestmark = pytest.mark.django_db

PHONE = "+306912345678"


def history_rows(page: str) -> list[tuple[str, str, str]]:
    """(action, source, detail) of each row of the consent history table, in page order."""
    table = re.search(r'<table class="sms-consent-history">(.*?)</table>', page, re.S).group(1)
    return re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>.*?</td></tr>", table)


@pytest.fixture
def consent_record():
    """Shop A's contact with three events (API grant, STOP, START); shop B has the same phone, opted out."""
    shop_a, shop_b = funded_shop(0), funded_shop(0)
    api_for(shop_a).post("/api/v1/contacts/", {"phone": PHONE, "sms_consent": True}, format="json")
    api_for(shop_b).post("/api/v1/contacts/", {"phone": PHONE, "sms_consent": True}, format="json")
    contacts_opt_out(phone=PHONE, shop_ids=[shop_a.id, shop_b.id], text="STOP", now=timezone.now())
    contacts_opt_in(phone=PHONE, shop_ids=[shop_a.id], text="START", now=timezone.now())
    contacts_opt_out(phone=PHONE, shop_ids=[shop_b.id], text="=cmd|' /C calc'!A0", now=timezone.now())
    return Contact.objects.get(shop=shop_a, phone=PHONE), Contact.objects.get(shop=shop_b, phone=PHONE)


def test_the_contact_page_shows_its_shops_consent_history_oldest_first(consent_record):
    own, foreign = consent_record
    page = merchant_client(own.shop).get(change("contact", own.id)).content.decode()
    assert history_rows(page) == [("granted", "api", ""), ("withdrawn", "sms_reply", "STOP"),
                                  ("granted", "sms_reply", "START")]
    assert f"/admin/campaigns/contact/{own.id}/consent/?format=json" in page


def test_the_consent_download_is_the_apis_export_and_never_another_shops(consent_record):
    own, foreign = consent_record
    client = merchant_client(own.shop)
    url = f"/admin/campaigns/contact/{own.id}/consent/"

    downloaded = client.get(url, {"format": "json"})
    assert downloaded["Content-Disposition"] == 'attachment; filename="consent-306912345678.json"'
    assert downloaded.json() == api_for(own.shop).get(f"/api/v1/contacts/{own.id}/consent").json()
    lines = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode())))
    assert lines[0] == ["phone", "action", "source", "detail", "occurred_at"]
    assert [tuple(line[:4]) for line in lines[1:]] == [
        (PHONE, "granted", "api", ""), (PHONE, "withdrawn", "sms_reply", "STOP"),
        (PHONE, "granted", "sms_reply", "START"),
    ]
    assert [line[4] for line in lines[1:]] == [e["occurredAt"] for e in downloaded.json()["events"]]

    assert client.get(f"/admin/campaigns/contact/{foreign.id}/consent/").status_code == 404
    opened = client.get(change("contact", foreign.id))
    assert opened.status_code == 302 and opened.url == "/admin/"


def test_a_superuser_downloads_any_shops_record_and_csv_never_runs_a_reply_as_a_formula(consent_record):
    _, foreign = consent_record
    text = superuser_client().get(f"/admin/campaigns/contact/{foreign.id}/consent/", {"format": "csv"})
    details = [line[3] for line in csv.reader(io.StringIO(text.content.decode()))][1:]
    assert details == ["", "STOP", "'=cmd|' /C calc'!A0"]


def _contact_form(contact, **fields):
    return {"phone": contact.phone, "first_name": contact.first_name, "last_name": contact.last_name,
            "tags": "", **fields}


def test_a_consent_change_in_the_admin_leaves_an_event_with_source_admin():
    shop = funded_shop(0)
    contact = add_contacts(shop, 1)[0]
    client = merchant_client(shop)

    withdraw = _contact_form(contact, sms_consent="False", consent_note="asked by phone")
    assert client.post(change("contact", contact.id), withdraw).status_code == 302
    grant = _contact_form(contact, sms_consent="True", consent_note="signed at the till")
    assert client.post(change("contact", contact.id), grant).status_code == 302
    client.post("/admin/campaigns/contact/add/", {"phone": "+306955555555", "sms_consent": "True", "tags": "",
                                                  "consent_note": "web form"})

    events = ConsentEvent.objects.filter(shop=shop).order_by("id")
    who = f"by owner@{shop.domain}"
    assert [(e.phone, e.action, e.source, e.detail) for e in events] == [
        (contact.phone, "withdrawn", "admin", f"{who}: asked by phone"),
        (contact.phone, "granted", "admin", f"{who}: signed at the till"),
        ("+306955555555", "granted", "admin", f"{who}: web form"),
    ]
    contact.refresh_from_db()
    assert (contact.sms_consent, contact.opted_out_at, contact.consent_source) == (True, None, "admin")


def test_a_csv_import_in_the_admin_leaves_events_with_source_csv():
    shop = funded_shop(0)
    text = "phone,sms_consent\n+306911111111,yes\n+306922222222,no\n"
    merchant_client(shop).post("/admin/campaigns/contact/import/", {
        "shop": shop.id, "file": SimpleUploadedFile("spring.csv", text.encode(), "text/csv")})
    events = list(ConsentEvent.objects.filter(shop=shop).values_list("phone", "action", "source", "detail"))
    assert events == [("+306911111111", "granted", "csv", f"spring.csv by owner@{shop.domain}")]
