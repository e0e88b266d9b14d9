"""Helpers of the credit purchase tests: a shop installed from Shopify (a never-expiring token) and the Admin API's
answers to the purchase calls, for `responses`."""

import json

import responses

from campaigns.models import ShopifyInstall
from campaigns.tests.support.factories import ShopFactory
from shopify.tokens import encrypt_token

DOMAIN = "buyer.myshopify.com"
TOKEN = "shpat_buyer"
GRAPHQL = f"https://{DOMAIN}/admin/api/2026-10/graphql.json"
COST = {"cost": {"requestedQueryCost": 1, "actualQueryCost": 1, "throttleStatus": {
    "maximumAvailable": 2000.0, "currentlyAvailable": 1999.0, "restoreRate": 100.0}}}


def installed_shop(*, credits: int = 0, domain: str = DOMAIN):
    shop = ShopFactory(domain=domain, credits=credits)
    ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token(TOKEN), scopes="read_customers")
    return shop


def graphql_answer(data: dict) -> dict:
    return {"data": data, "extensions": COST}


def plan_answer(*, development: bool = False) -> dict:
    return graphql_answer({"shop": {"plan": {"partnerDevelopment": development}}})


def created_answer(number: int = 77, *, status: str = "PENDING") -> dict:
    return graphql_answer({"appPurchaseOneTimeCreate": {
        "appPurchaseOneTime": {"id": purchase_gid(number), "name": "5,000 SMS credits", "status": status,
                               "createdAt": "2026-12-01T10:00:00Z"},
        "confirmationUrl": f"https://{DOMAIN}/admin/charges/{number}/confirm_purchase?signature=abc",
        "userErrors": []}})


def node_answer(number: int, status: str) -> dict:
    return graphql_answer({"node": {"__typename": "AppPurchaseOneTime", "id": purchase_gid(number),
                                    "name": "5,000 SMS credits", "status": status,
                                    "createdAt": "2026-12-01T10:00:00Z"}})


def purchase_gid(number: int) -> str:
    return f"gid://shopify/AppPurchaseOneTime/{number}"


def mock_node(rsps: responses.RequestsMock, number: int, status: str) -> None:
    """Every `node(id:)` read of purchase `number` answers `status`."""
    rsps.add(responses.POST, GRAPHQL, json=node_answer(number, status),
             match=[lambda request: (json.loads(request.body)["variables"] == {"id": purchase_gid(number)}, "")])


def sent_bodies(rsps: responses.RequestsMock) -> list[dict]:
    return [json.loads(call.request.body) for call in rsps.calls]
