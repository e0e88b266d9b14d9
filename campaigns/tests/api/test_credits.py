"""GET /api/v1/credits/packs and /api/v1/credits/purchases: the packs on sale, the calling shop's purchases only."""

import pytest
from rest_framework.test import APIClient

from campaigns.api.auth import api_key_create
from campaigns.models import CreditPurchase
from campaigns.tests.support.factories import ShopFactory
from config.credit_packs import parse_credit_packs

pytestmark = pytest.mark.django_db


def api(shop) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(shop=shop)}")
    return client


def test_packs_are_the_settings_packs_with_price_per_credit(settings):
    settings.CREDIT_PACKS, settings.CREDIT_CURRENCY = parse_credit_packs("1000:12.00,5000:55"), "EUR"
    answer = api(ShopFactory()).get("/api/v1/credits/packs")
    assert answer.status_code == 200
    assert answer.json() == {"currency": "EUR", "packs": [
        {"credits": 1000, "price": "12.00", "pricePerCredit": "0.0120"},
        {"credits": 5000, "price": "55.00", "pricePerCredit": "0.0110"}]}


def test_packs_need_a_key():
    assert APIClient().get("/api/v1/credits/packs").status_code == 401


def test_purchases_list_the_shops_own_newest_first():
    shop, other = ShopFactory(), ShopFactory()
    first = CreditPurchase.objects.create(shop=shop, credits=1000, price="12.00", currency="USD",
                                          shopify_id="gid://shopify/AppPurchaseOneTime/1", status="declined",
                                          confirmation_url="https://s.example/c/1")
    second = CreditPurchase.objects.create(shop=shop, credits=5000, price="55.00", currency="USD", test=True,
                                           shopify_id="gid://shopify/AppPurchaseOneTime/2",
                                           confirmation_url="https://s.example/c/2")
    CreditPurchase.objects.create(shop=other, credits=1000, price="12.00", currency="USD",
                                  shopify_id="gid://shopify/AppPurchaseOneTime/3")
    answer = api(shop).get("/api/v1/credits/purchases")
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [row["id"] for row in rows] == [second.pk, first.pk]
    assert {key: rows[0][key] for key in ("credits", "price", "currency", "status", "test", "decidedAt")} == {
        "credits": 5000, "price": "55.00", "currency": "USD", "status": "pending", "test": True, "decidedAt": None}
    assert rows[1]["confirmationUrl"] == "https://s.example/c/1"
