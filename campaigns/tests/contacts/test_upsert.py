from threading import Thread

from django.db import connection
from rest_framework.test import APIClient

from campaigns.models import ConsentEvent, Contact
from campaigns.services.contacts.upsert import MAX_BULK_ROWS
from campaigns.tests.support.factories import ContactFactory, ShopFactory

URL = "/api/v1/contacts/bulk"


def bulk(api, rows):
    return api.post(URL, {"contacts": rows}, format="json")


def test_valid_rows_are_kept_and_rejected_ones_reported_with_their_index(api, shop):
    response = bulk(api, [
        {"phone": "+306912345601", "sms_consent": True, "first_name": "A"},
        {"phone": "not a phone", "sms_consent": True},
        "a string, not an object",
        {"phone": "+306912345602", "sms_consent": "yes"},
        {"phone": "(650) 253-0000", "sms_consent": False, "tags": ["us"]},
    ])
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 0)
    assert [(row["index"], row["phone"]) for row in body["rejected"]] == [
        (1, "not a phone"), (2, ""), (3, "+306912345602"),
    ]
    assert "phone:" in body["rejected"][0]["error"]
    assert body["rejected"][1]["error"] == "Expected a JSON object."
    assert body["rejected"][2]["error"] == "sms_consent: Must be true or false."
    assert set(Contact.objects.filter(shop=shop).values_list("phone", flat=True)) == {"+306912345601", "+16502530000"}


def test_created_and_updated_are_counted_and_fields_not_given_are_kept(api, shop):
    kept = ContactFactory(shop=shop, phone="+306912345601", first_name="Old", tags=["keep"])
    body = bulk(api, [
        {"phone": "+306912345601", "sms_consent": True, "last_name": "New"},
        {"phone": "+306912345602", "sms_consent": True},
    ]).json()
    assert (body["created"], body["updated"], body["rejected"]) == (1, 1, [])
    kept.refresh_from_db()
    assert (kept.first_name, kept.last_name, kept.tags) == ("Old", "New", ["keep"])
    new = Contact.objects.get(shop=shop, phone="+306912345602")
    assert (new.first_name, new.tags, new.consent_source) == ("", [], "api")


def test_a_phone_given_twice_is_written_once_from_its_last_row(api, shop):
    body = bulk(api, [
        {"phone": "+306912345601", "sms_consent": True, "first_name": "First"},
        {"phone": "+30 691 234 5601", "sms_consent": True, "first_name": "Last"},
        {"phone": "+306912345601", "sms_consent": True, "first_name": 12},
    ]).json()
    assert (body["created"], body["updated"]) == (1, 0)
    assert [row["index"] for row in body["rejected"]] == [2]
    assert Contact.objects.get(shop=shop).first_name == "Last"


def test_consent_events_are_written_for_changes_only(api, shop):
    ContactFactory(shop=shop, phone="+306912345601", sms_consent=True)
    ContactFactory(shop=shop, phone="+306912345602", sms_consent=True)
    ContactFactory(shop=shop, phone="+306912345603", sms_consent=False)
    bulk(api, [
        {"phone": "+306912345601", "sms_consent": True},
        {"phone": "+306912345602", "sms_consent": False},
        {"phone": "+306912345603", "sms_consent": True},
        {"phone": "+306912345604", "sms_consent": True},
        {"phone": "+306912345605", "sms_consent": False},
    ])
    events = ConsentEvent.objects.filter(shop=shop).order_by("phone")
    assert [(e.phone, e.action) for e in events] == [
        ("+306912345602", "withdrawn"), ("+306912345603", "granted"), ("+306912345604", "granted"),
    ]
    contacts = {c.phone: c for c in Contact.objects.filter(shop=shop)}
    assert all(event.contact_id == contacts[event.phone].id for event in events)
    assert contacts["+306912345602"].opted_out_at is not None
    assert contacts["+306912345601"].opted_out_at is None


def test_the_same_phone_in_another_shop_is_another_contact(api, shop):
    other = ContactFactory(shop=ShopFactory(), phone="+306912345601", first_name="Theirs")
    body = bulk(api, [{"phone": "+306912345601", "sms_consent": True, "first_name": "Ours"}]).json()
    assert body["created"] == 1
    other.refresh_from_db()
    assert other.first_name == "Theirs"


def test_ten_thousand_rows_in_one_call_are_written_set_based(api, shop, django_assert_max_num_queries):
    rows = [{"phone": f"+30691{n:07d}", "sms_consent": True, "tags": ["bulk"]} for n in range(MAX_BULK_ROWS)]
    with django_assert_max_num_queries(40):
        body = bulk(api, rows).json()
    assert (body["created"], body["updated"], body["rejected"]) == (MAX_BULK_ROWS, 0, [])
    assert Contact.objects.filter(shop=shop).count() == MAX_BULK_ROWS
    assert ConsentEvent.objects.filter(shop=shop, action="granted").count() == MAX_BULK_ROWS


def test_more_than_the_limit_is_refused_whole(api, shop):
    rows = [{"phone": f"+30691{n:07d}", "sms_consent": True} for n in range(MAX_BULK_ROWS + 1)]
    response = bulk(api, rows)
    assert response.status_code == 400
    assert "At most 10000" in response.json()["errors"]["contacts"][0]
    assert not Contact.objects.exists()


def test_an_empty_list_changes_nothing(api, shop):
    assert bulk(api, []).json() == {"created": 0, "updated": 0, "rejected": [], "kept_opted_out": 0}


def test_overlapping_bulk_calls_at_the_same_time_both_succeed(transactional_db, shop, shop_key):
    """Neither deadlocks nor double-counts: the second call sees the first one's rows as existing."""
    rows = [{"phone": f"+30691{n:07d}", "sms_consent": True} for n in range(2000)]
    answers = []

    def call(ordered_rows):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {shop_key}")
        try:
            response = bulk(client, ordered_rows)
            answers.append((response.status_code, response.json()["created"]))
        finally:
            connection.close()

    threads = [Thread(target=call, args=(rows,)), Thread(target=call, args=(rows[::-1],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [(200, 0), (200, 2000)]
    assert Contact.objects.filter(shop=shop).count() == 2000
    assert ConsentEvent.objects.filter(shop=shop).count() == 2000
