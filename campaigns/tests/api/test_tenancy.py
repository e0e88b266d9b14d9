"""Every endpoint needs a key; every object endpoint treats another shop's id exactly like a missing one."""

import pytest

from campaigns.models import Campaign, Contact
from campaigns.tests.support.factories import CampaignFactory, ContactFactory, ShopFactory

ENDPOINTS = [
    ("get", "/api/v1/shop"),
    ("get", "/api/v1/contacts/"),
    ("post", "/api/v1/contacts/"),
    ("post", "/api/v1/contacts/bulk"),
    ("get", "/api/v1/contacts/1/"),
    ("patch", "/api/v1/contacts/1/"),
    ("delete", "/api/v1/contacts/1/"),
    ("get", "/api/v1/campaigns/"),
    ("post", "/api/v1/campaigns/"),
    ("get", "/api/v1/campaigns/1/"),
    ("patch", "/api/v1/campaigns/1/"),
    ("delete", "/api/v1/campaigns/1/"),
]
OBJECT_METHODS = ["get", "patch", "delete"]
CHANGE = {"contacts": {"first_name": "Hacked"}, "campaigns": {"name": "Hacked"}}


def call(client, method, url, data=None):
    return getattr(client, method)(url, data, format="json") if method != "get" else client.get(url)


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_no_key_is_401(anon_api, db, method, url):
    response = call(anon_api, method, url, {})
    assert response.status_code == 401
    assert response.json()["reason"] == "unauthorized"


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("header", ["Bearer sk_wrong", "Bearer", "Bearer a b", "Token abc", "Bearer \u00e9"])
def test_a_wrong_key_is_401(anon_api, shop_key, method, url, header):
    anon_api.credentials(HTTP_AUTHORIZATION=header)
    response = call(anon_api, method, url, {})
    assert response.status_code == 401
    assert response.json()["ok"] is False


@pytest.fixture
def foreign_objects(db):
    other = ShopFactory()
    return {"contacts": ContactFactory(shop=other), "campaigns": CampaignFactory(shop=other)}


@pytest.mark.parametrize("kind", ["contacts", "campaigns"])
@pytest.mark.parametrize("method", OBJECT_METHODS)
def test_another_shops_object_is_404_like_a_missing_one(api, foreign_objects, kind, method):
    target = foreign_objects[kind]
    foreign = call(api, method, f"/api/v1/{kind}/{target.id}/", CHANGE[kind])
    missing = call(api, method, f"/api/v1/{kind}/{target.id + 1000}/", CHANGE[kind])
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert foreign.json()["reason"] == "not_found"
    target.refresh_from_db()
    assert "Hacked" not in (getattr(target, "first_name", ""), getattr(target, "name", ""))


@pytest.mark.parametrize("kind", ["contacts", "campaigns"])
@pytest.mark.parametrize("pk", ["abc", "1.5", "-1", "99999999999999999999999999", "0x10"])
def test_unknown_id_formats_are_404(api, kind, pk):
    for method in OBJECT_METHODS:
        response = call(api, method, f"/api/v1/{kind}/{pk}/", CHANGE[kind])
        assert response.status_code == 404
        assert response.json()["reason"] == "not_found"


def test_the_same_phone_posted_by_two_shops_makes_two_contacts(api, foreign_objects):
    theirs = foreign_objects["contacts"]
    response = api.post("/api/v1/contacts/", {"phone": theirs.phone, "sms_consent": True}, format="json")
    assert response.status_code == 201
    assert Contact.objects.filter(phone=theirs.phone).count() == 2
    assert Campaign.objects.count() == 1
