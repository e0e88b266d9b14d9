from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services.senders import shop_sender_add
from campaigns.tests.support.factories import CampaignFactory, ShopFactory

URL = "/api/v1/campaigns/"
NOT_EDITABLE = ["sending", "paused", "completed", "cancelled", "failed"]


def create(api, **data):
    return api.post(URL, {"name": "Spring sale", "body": "Hi {{ first_name }}, 20% off", **data}, format="json")


def test_create_answers_201_with_the_campaign(api, shop):
    response = create(api, sender="MyShop", audience={"tags": ["vip", " vip ", "new"]})
    assert response.status_code == 201
    body = response.json()
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.shop == shop
    assert body == {
        "id": campaign.id, "name": "Spring sale", "body": "Hi {{ first_name }}, 20% off", "sender": "MyShop",
        "status": "draft", "scheduled_at": None, "created_at": body["created_at"], "encoding": "GSM-7",
        "segments": 1, "audience": {"tags": ["vip", "new"]}, "pausedReason": None,
    }


@pytest.mark.parametrize(
    ("body", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 81, "GSM-7", 2),
        ("Γειά σου κόσμε", "UCS-2", 1),
        ("ы" * 71, "UCS-2", 2),
        ("Hi {{ first_name }}" + "a" * 147, "GSM-7", 1),
        ("Hi {{ first_name }}" + "a" * 148, "GSM-7", 2),
    ],
)
def test_encoding_and_segments_are_in_the_answer(api, shop, body, encoding, segments):
    answer = create(api, body=body).json()
    assert (answer["encoding"], answer["segments"]) == (encoding, segments)


@pytest.mark.parametrize("body", ["Hi {{ nickname }}", "Hi {{ first_name }", "", "   "])
def test_a_bad_body_is_400_invalid_body(api, shop, body):
    response = create(api, body=body)
    assert response.status_code == 400
    assert response.json()["reason"] == "invalid_body"
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("sender", ["MyShop", "My Shop 1", "abc", "A1234567890", "123", "1234567890123456", "", None])
def test_valid_senders(api, shop, sender):
    if sender:
        shop_sender_add(shop=shop, sender=sender)
    response = create(api, sender=sender)
    assert response.status_code == 201
    assert response.json()["sender"] == (sender or "")


@pytest.mark.parametrize("sender", ["ab", "12", "AB123456789X", "12345678901234567", "My-Shop", "Shöp", 42])
def test_invalid_senders_are_field_errors(api, shop, sender):
    response = create(api, sender=sender)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["sender"]


@pytest.mark.parametrize("audience", [{}, None, {"tags": []}])
def test_an_empty_audience_means_every_consenting_contact(api, shop, audience):
    assert create(api, audience=audience).json()["audience"] == {}


@pytest.mark.parametrize("audience", [{"segment": "vip"}, {"tags": "vip"}, ["vip"], {"tags": [""]}, {"tags": [1]}])
def test_a_bad_audience_is_a_field_error(api, shop, audience):
    response = create(api, audience=audience)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["audience"]


def test_scheduling_and_unscheduling(api, shop):
    when = timezone.now() + timedelta(days=1)
    body = create(api, scheduled_at=when.isoformat()).json()
    assert body["status"] == "scheduled"
    url = f"{URL}{body['id']}/"
    assert api.patch(url, {"scheduled_at": None}, format="json").json()["status"] == "draft"
    assert api.patch(url, {"scheduled_at": when.isoformat()}, format="json").json()["status"] == "scheduled"
    assert api.patch(url, {"name": "Renamed"}, format="json").json()["status"] == "scheduled"


def test_a_past_schedule_is_a_field_error(api, shop):
    response = create(api, scheduled_at=(timezone.now() - timedelta(minutes=1)).isoformat())
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["scheduled_at"]


def test_patch_recomputes_the_size_of_a_new_body(api, shop):
    campaign = CampaignFactory(shop=shop)
    response = api.patch(f"{URL}{campaign.id}/", {"body": "Привет {{ first_name }}"}, format="json")
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert (campaign.body, campaign.encoding, campaign.segments) == ("Привет {{ first_name }}", "UCS-2", 1)


def test_patch_with_an_unknown_placeholder_is_invalid_body_and_changes_nothing(api, shop):
    campaign = CampaignFactory(shop=shop, body="Hello")
    response = api.patch(f"{URL}{campaign.id}/", {"body": "{{ coupon }}"}, format="json")
    assert (response.status_code, response.json()["reason"]) == (400, "invalid_body")
    campaign.refresh_from_db()
    assert campaign.body == "Hello"


@pytest.mark.parametrize("status", NOT_EDITABLE)
def test_patch_and_delete_of_a_campaign_past_scheduled_are_409(api, shop, status):
    campaign = CampaignFactory(shop=shop, status=status)
    url = f"{URL}{campaign.id}/"
    patched = api.patch(url, {"name": "Changed"}, format="json")
    deleted = api.delete(url)
    for response in (patched, deleted):
        assert response.status_code == 409
        assert response.json()["reason"] == "invalid_status"
    campaign.refresh_from_db()
    assert campaign.name != "Changed"


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_delete_of_a_draft_or_scheduled_campaign(api, shop, status):
    campaign = CampaignFactory(shop=shop, status=status)
    assert api.delete(f"{URL}{campaign.id}/").status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_list_shows_the_shops_campaigns_newest_first(api, shop):
    older, newer = CampaignFactory.create_batch(2, shop=shop)
    CampaignFactory(shop=ShopFactory())
    body = api.get(URL).json()
    assert [row["id"] for row in body["results"]] == [newer.id, older.id]
    assert api.get(f"{URL}{older.id}/").json()["name"] == older.name
