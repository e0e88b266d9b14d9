"""POST /api/v1/credits/purchase → `credit_purchase_start`: the exact Admin API calls (the shop's plan, then
appPurchaseOneTimeCreate), the purchase row committed only with Shopify's answer, and each refusal writing nothing."""

from decimal import Decimal

import pytest
import responses
from rest_framework.test import APIClient

from campaigns.api.auth import api_key_create
from campaigns.models import CreditPurchase, CreditTransaction, ShopifyInstall
from campaigns.services.shopify_sync.install import shopify_uninstalled
from campaigns.tests.support.factories import ShopFactory
from campaigns.tests.support.purchase_helpers import (
    DOMAIN,
    GRAPHQL,
    TOKEN,
    created_answer,
    graphql_answer,
    installed_shop,
    plan_answer,
    sent_bodies,
)
from shopify.admin import PURCHASE_CREATE, SHOP_PLAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def api(shop) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(shop=shop)}")
    return client


def buy(shop, pack=5000):
    return api(shop).post("/api/v1/credits/purchase", {"pack": pack}, format="json")


def test_buying_a_pack_sends_exactly_the_plan_query_and_the_purchase_mutation(rsps):
    shop = installed_shop()
    rsps.add(responses.POST, GRAPHQL, json=plan_answer())
    rsps.add(responses.POST, GRAPHQL, json=created_answer(77))
    answer = buy(shop)
    assert answer.status_code == 201, answer.content
    purchase = CreditPurchase.objects.get()
    assert answer.json() == {"purchaseId": purchase.pk, "confirmationUrl": purchase.confirmation_url}
    assert purchase.confirmation_url == f"https://{DOMAIN}/admin/charges/77/confirm_purchase?signature=abc"
    assert sent_bodies(rsps) == [
        {"query": SHOP_PLAN, "variables": {}},
        {"query": PURCHASE_CREATE, "variables": {
            "name": "5,000 SMS credits", "price": {"amount": "55.00", "currencyCode": "USD"},
            "returnUrl": f"http://127.0.0.1:8000/shopify/purchases/{purchase.pk}/return", "test": False}},
    ]
    assert all(call.request.headers["X-Shopify-Access-Token"] == TOKEN for call in rsps.calls)
    assert (purchase.shopify_id, purchase.status, purchase.credits, purchase.price, purchase.currency,
            purchase.test) == ("gid://shopify/AppPurchaseOneTime/77", "pending", 5000, Decimal("55.00"), "USD", False)
    shop.refresh_from_db()
    assert shop.credits == 0 and not CreditTransaction.objects.filter(kind="purchase").exists()


def test_a_development_store_buys_with_test_charges(rsps):
    shop = installed_shop()
    rsps.add(responses.POST, GRAPHQL, json=plan_answer(development=True))
    rsps.add(responses.POST, GRAPHQL, json=created_answer(78))
    assert buy(shop, 1000).status_code == 201
    assert sent_bodies(rsps)[1]["variables"]["test"] is True and CreditPurchase.objects.get().test


def test_the_test_charges_setting_makes_every_purchase_a_test(rsps, settings):
    settings.SHOPIFY_TEST_CHARGES = True
    rsps.add(responses.POST, GRAPHQL, json=created_answer(79))
    assert buy(installed_shop()).status_code == 201
    assert [body["variables"].get("test") for body in sent_bodies(rsps)] == [True]


def test_packs_and_currency_come_from_the_settings(rsps, settings):
    from config.credit_packs import parse_credit_packs

    settings.CREDIT_PACKS, settings.CREDIT_CURRENCY = parse_credit_packs("250:4.99"), "EUR"
    rsps.add(responses.POST, GRAPHQL, json=plan_answer())
    rsps.add(responses.POST, GRAPHQL, json=created_answer(80))
    assert buy(installed_shop(), 250).status_code == 201
    assert sent_bodies(rsps)[1]["variables"]["price"] == {"amount": "4.99", "currencyCode": "EUR"}


@pytest.mark.parametrize("pack", [4999, 0])
def test_a_pack_not_on_sale_is_400_and_calls_nothing(rsps, pack):
    answer = buy(installed_shop(), pack)
    assert answer.status_code == 400
    assert answer.json()["reason"] == ("invalid_pack" if pack else "validation_error")
    assert not rsps.calls and not CreditPurchase.objects.exists()


def test_a_missing_or_non_integer_pack_is_a_validation_error():
    shop = installed_shop()
    for body in ({}, {"pack": "many"}, {"pack": 10**30}, {"pack": True}):
        answer = api(shop).post("/api/v1/credits/purchase", body, format="json")
        assert answer.status_code == 400 and answer.json()["reason"] == "validation_error", body


def test_a_shop_not_installed_from_shopify_is_409(rsps):
    answer = buy(ShopFactory())
    assert answer.status_code == 409 and answer.json()["reason"] == "not_installed"
    assert not rsps.calls and not CreditPurchase.objects.exists()


def test_an_uninstalled_shop_is_409(rsps):
    shop = installed_shop()
    shopify_uninstalled(domain=shop.domain)
    assert buy(shop).json()["reason"] == "not_installed"
    assert not rsps.calls


@pytest.mark.parametrize("answer, status, reason", [
    ({"json": graphql_answer({"appPurchaseOneTimeCreate": {"appPurchaseOneTime": None, "confirmationUrl": None,
      "userErrors": [{"field": ["price"], "message": "Price must be greater than 0"}]}})}, 502, "shopify_error"),
    ({"status": 402, "json": {"errors": "Unavailable Shop"}}, 502, "shopify_error"),
    ({"status": 401, "json": {"errors": "[API] Invalid API key or access token"}}, 409, "not_installed"),
    ({"json": graphql_answer({"appPurchaseOneTimeCreate": {"userErrors": []}})}, 502, "shopify_error"),
])
def test_a_shopify_refusal_is_a_clear_error_and_writes_nothing(rsps, answer, status, reason):
    shop = installed_shop()
    rsps.add(responses.POST, GRAPHQL, json=plan_answer())
    rsps.add(responses.POST, GRAPHQL, **answer)
    got = buy(shop)
    assert got.status_code == status and got.json()["reason"] == reason, got.content
    assert TOKEN not in got.json()["detail"]
    assert not CreditPurchase.objects.exists() and ShopifyInstall.objects.get().connected


def test_shopify_unavailable_is_502_and_writes_nothing(rsps, monkeypatch):
    monkeypatch.setattr("shopify.client.time.sleep", lambda seconds: None)
    shop = installed_shop()
    rsps.add(responses.POST, GRAPHQL, json=plan_answer())
    rsps.add(responses.POST, GRAPHQL, status=503, json={"errors": "Service Unavailable"})
    got = buy(shop)
    assert got.status_code == 502 and got.json()["reason"] == "shopify_error"
    assert not CreditPurchase.objects.exists()


def test_a_purchase_id_shopify_answered_before_is_502_and_writes_nothing(rsps):
    shop = installed_shop()
    CreditPurchase.objects.create(shop=shop, credits=1000, price="12.00", currency="USD",
                                  shopify_id="gid://shopify/AppPurchaseOneTime/77")
    rsps.add(responses.POST, GRAPHQL, json=plan_answer())
    rsps.add(responses.POST, GRAPHQL, json=created_answer(77))
    got = buy(shop)
    assert got.status_code == 502 and got.json()["reason"] == "shopify_error"
    assert CreditPurchase.objects.count() == 1
