"""The Admin API calls we make, with `responses`: customer paging, bulk export polling and its JSON Lines,
consent write-back, webhook subscriptions and one-time purchases."""

import json
import types
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from shopify import admin
from shopify.client import AdminClient
from shopify.errors import ShopifyError, TransientError, UserErrors
from shopify.records import BulkOperation, Consent

SHOP = "demo.myshopify.com"
URL = f"https://{SHOP}/admin/api/2026-10/graphql.json"
BULK_URL = "https://storage.example/bulk/1.jsonl"


def node(n, **changes):
    return {"id": f"gid://shopify/Customer/{n}", "firstName": "Ada", "lastName": "L", "phone": f"+1212200{n:04d}",
            "updatedAt": "2026-11-30T10:00:00Z", "tags": ["vip"], "smsMarketingConsent": None,
            "defaultPhoneNumber": {"phoneNumber": f"+1212200{n:04d}", "smsMarketingConsent": {
                "state": "SUBSCRIBED", "optInLevel": "SINGLE_OPT_IN", "updatedAt": "2026-11-30T10:00:00Z",
                "collectedFrom": "SHOPIFY"}}} | changes


def page(nodes, cursor, more):
    return {"data": {"customers": {"nodes": nodes, "pageInfo": {"hasNextPage": more, "endCursor": cursor}}}}


def data(payload):
    return {"data": payload}


def sent(index):
    return json.loads(responses.calls[index].request.body)


@pytest.fixture(autouse=True)
def app_settings(settings):
    settings.SHOPIFY_ADMIN_BASE = "https://{shop}"
    settings.SHOPIFY_API_VERSION = "2026-10"


@pytest.fixture
def client():
    return AdminClient(SHOP, "shpat_token", sleep=lambda seconds: None)


@responses.activate
def test_customer_pages_follow_the_cursor_until_the_last_page(client):
    responses.post(URL, json=page([node(1), node(2)], "c2", True))
    responses.post(URL, json=page([node(3)], "c3", False))
    pages = list(admin.customer_pages(client, query="updated_at:>'2026-11-01T00:00:00Z'", page_size=2))
    assert [[c.customer_id for c in p.customers] for p in pages] == [[1, 2], [3]]
    assert [p.end_cursor for p in pages] == ["c2", "c3"] and [p.has_next_page for p in pages] == [True, False]
    assert sent(0)["variables"] == {"first": 2, "after": None, "query": "updated_at:>'2026-11-01T00:00:00Z'"}
    assert sent(1)["variables"]["after"] == "c2"
    assert "customers(first: $first, after: $after, query: $query)" in sent(0)["query"]


@responses.activate
def test_customer_pages_resume_from_a_cursor_and_skip_unreadable_nodes(client):
    responses.post(URL, json=page([node(4), {"id": "not-a-gid"}, None], "c5", False))
    pages = list(admin.customer_pages(client, after="c3"))
    assert sent(0)["variables"]["after"] == "c3" and sent(0)["variables"]["first"] == 250
    assert [c.customer_id for c in pages[0].customers] == [4] and pages[0].skipped == 2


@responses.activate
def test_customer_pages_stop_when_more_is_claimed_without_a_cursor(client):
    responses.post(URL, json=page([node(1)], None, True))
    assert len(list(admin.customer_pages(client))) == 1


@responses.activate
def test_customer_pages_without_nodes_is_an_error(client):
    responses.post(URL, json=data({"customers": None}))
    with pytest.raises(ShopifyError, match="no nodes"):
        list(admin.customer_pages(client))


@responses.activate
def test_bulk_start_sends_the_customer_export(client):
    responses.post(URL, json=data({"bulkOperationRunQuery": {
        "bulkOperation": {"id": "gid://shopify/BulkOperation/7", "status": "CREATED"}, "userErrors": []}}))
    assert admin.bulk_customers_start(client) == BulkOperation("gid://shopify/BulkOperation/7", "CREATED")
    assert "customers" in sent(0)["variables"]["query"] and "defaultPhoneNumber" in sent(0)["variables"]["query"]


@responses.activate
def test_bulk_start_while_one_runs_is_user_errors(client):
    responses.post(URL, json=data({"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": [
        {"field": None, "message": "A bulk query operation for this app and shop is already in progress"}]}}))
    with pytest.raises(UserErrors, match="already in progress"):
        admin.bulk_customers_start(client)


def current(status, url=None, count="0", op=7):
    return data({"currentBulkOperation": {"id": f"gid://shopify/BulkOperation/{op}", "status": status,
                                          "errorCode": None, "objectCount": count, "url": url}})


@responses.activate
def test_bulk_wait_polls_until_completed(client):
    for answer in (current("CREATED"), current("RUNNING"), current("COMPLETED", BULK_URL, "3")):
        responses.post(URL, json=answer)
    sleeps = []
    done = admin.bulk_operation_wait(client, operation_id="gid://shopify/BulkOperation/7", interval_s=2.5,
                                     sleep=sleeps.append)
    assert done == BulkOperation("gid://shopify/BulkOperation/7", "COMPLETED", BULK_URL, 3)
    assert sleeps == [2.5, 2.5] and len(responses.calls) == 3


@responses.activate
def test_bulk_wait_returns_a_failed_operation(client):
    responses.post(URL, json=data({"currentBulkOperation": {"id": "gid://shopify/BulkOperation/7",
                                                            "status": "FAILED", "errorCode": "INTERNAL_SERVER_ERROR"}}))
    done = admin.bulk_operation_wait(client, sleep=lambda s: None)
    assert (done.status, done.error_code, done.finished) == ("FAILED", "INTERNAL_SERVER_ERROR", True)


@responses.activate
def test_bulk_wait_gives_up_at_the_deadline(client):
    responses.post(URL, json=current("RUNNING"))
    ticks = iter(range(100))
    with pytest.raises(TransientError, match="still RUNNING"):
        admin.bulk_operation_wait(client, timeout_s=3, sleep=lambda s: None, clock=lambda: next(ticks))


@responses.activate
def test_bulk_wait_notices_another_operation_or_none(client):
    responses.post(URL, json=current("RUNNING", op=8))
    with pytest.raises(ShopifyError, match="another bulk operation"):
        admin.bulk_operation_wait(client, operation_id="gid://shopify/BulkOperation/7", sleep=lambda s: None)
    responses.replace(responses.POST, URL, json=data({"currentBulkOperation": None}))
    with pytest.raises(ShopifyError, match="no current bulk operation"):
        admin.bulk_operation_wait(client, sleep=lambda s: None)


@responses.activate
def test_bulk_customers_stream_the_lines_and_skip_what_is_not_a_customer():
    lines = [json.dumps(node(1)), "", json.dumps({"id": "gid://shopify/Order/9", "__parentId": "x"}), "{broken",
             json.dumps(node(2, defaultPhoneNumber=None, smsMarketingConsent={"marketingState": "unsubscribed"}))]
    responses.get(BULK_URL, body="\n".join(lines) + "\n")
    skipped = []
    customers = admin.bulk_customers(BULK_URL, on_skip=skipped.append)
    assert isinstance(customers, types.GeneratorType)  # read as it streams, never a list of everything
    found = list(customers)
    assert [c.customer_id for c in found] == [1, 2] and skipped == [3, 4]
    assert found[1].consent == Consent(state="unsubscribed")


@responses.activate
def test_bulk_line_blocks_start_small_and_double_up_to_the_block_size_after_the_lines_skipped():
    lines = [json.dumps(node(n)) for n in range(1, 41)]
    responses.get(BULK_URL, body="\r\n".join(lines[:20]) + "\n\n" + "\n".join(lines[20:]))
    blocks = list(admin.bulk_line_blocks(BULK_URL, skip=3, lines=8, first=3))
    assert [len(block) for block in blocks] == [3, 6, 8, 8, 8, 4]
    assert [line.decode() for block in blocks for line in block] == lines[3:]
    assert [len(block) for block in admin.bulk_line_blocks(BULK_URL, lines=16)] == [16, 16, 8]


@responses.activate
def test_bulk_customers_refuse_an_unavailable_file():
    responses.get(BULK_URL, status=403)
    with pytest.raises(TransientError, match="403"):
        list(admin.bulk_customers(BULK_URL))


@responses.activate
def test_consent_update_sends_the_input_and_reads_the_customer(client):
    answer = node(5, defaultPhoneNumber={"phoneNumber": "+12122000005", "smsMarketingConsent": {
        "state": "UNSUBSCRIBED", "optInLevel": "SINGLE_OPT_IN", "updatedAt": "2026-12-01T10:00:00Z",
        "collectedFrom": "OTHER"}})
    responses.post(URL, json=data({"customerSmsMarketingConsentUpdate": {"customer": answer, "userErrors": []}}))
    at = datetime(2026, 12, 1, 10, tzinfo=UTC)
    customer = admin.consent_update(client, customer_id=5, state="unsubscribed", consent_updated_at=at)
    assert sent(0)["variables"] == {"input": {"customerId": "gid://shopify/Customer/5", "smsMarketingConsent": {
        "marketingState": "UNSUBSCRIBED", "marketingOptInLevel": "SINGLE_OPT_IN",
        "consentUpdatedAt": "2026-12-01T10:00:00+00:00"}}}
    assert customer.consent.state == "unsubscribed" and customer.consent.updated_at == at


@responses.activate
def test_webhook_subscribe_names_the_topic_enum_and_tolerates_an_existing_one(client):
    responses.post(URL, json=data({"webhookSubscriptionCreate": {
        "webhookSubscription": {"id": "gid://shopify/WebhookSubscription/1"}, "userErrors": []}}))
    taken = {"field": ["callbackUrl"], "message": "Address for this topic has already been taken"}
    responses.post(URL, json=data({"webhookSubscriptionCreate": {"webhookSubscription": None, "userErrors": [taken]}}))
    topic = "customers_marketing_consent/update"
    assert admin.webhook_subscribe(client, topic=topic, callback_url="https://app/webhooks/shopify").endswith("/1")
    assert sent(0)["variables"] == {"topic": "CUSTOMERS_MARKETING_CONSENT_UPDATE", "webhookSubscription": {
        "callbackUrl": "https://app/webhooks/shopify", "format": "JSON"}}
    assert admin.webhook_subscribe(client, topic=topic, callback_url="https://app/webhooks/shopify") is None


@responses.activate
def test_webhook_subscribe_raises_other_user_errors(client):
    responses.post(URL, json=data({"webhookSubscriptionCreate": {"userErrors": [{"message": "Address is invalid"}]}}))
    with pytest.raises(UserErrors):
        admin.webhook_subscribe(client, topic="app/uninstalled", callback_url="ftp://x")


@responses.activate
def test_purchase_create_and_status(client):
    purchase = {"id": "gid://shopify/AppPurchaseOneTime/3", "name": "5000 SMS", "status": "PENDING",
                "createdAt": "2026-12-01T10:00:00Z"}
    created = {"appPurchaseOneTime": purchase, "confirmationUrl": "https://x/confirm", "userErrors": []}
    responses.post(URL, json=data({"appPurchaseOneTimeCreate": created}))
    responses.post(URL, json=data({"node": {"__typename": "AppPurchaseOneTime", **purchase, "status": "ACTIVE"}}))
    responses.post(URL, json=data({"node": None}))
    created = admin.purchase_create(client, name="5000 SMS", amount=Decimal("55.00"), currency="usd",
                                    return_url="https://app/return", test=True)
    assert sent(0)["variables"] == {"name": "5000 SMS", "price": {"amount": "55.00", "currencyCode": "USD"},
                                    "returnUrl": "https://app/return", "test": True}
    assert (created.purchase_id, created.status, created.confirmation_url) == (purchase["id"], "PENDING",
                                                                               "https://x/confirm")
    status = admin.purchase_status(client, purchase["id"])
    assert status.active and sent(1)["variables"] == {"id": purchase["id"]}
    assert admin.purchase_status(client, "gid://shopify/AppPurchaseOneTime/404") is None


@responses.activate
def test_purchase_create_without_a_confirmation_url_is_an_error(client):
    responses.post(URL, json=data({"appPurchaseOneTimeCreate": {"appPurchaseOneTime": None, "userErrors": []}}))
    with pytest.raises(ShopifyError):
        admin.purchase_create(client, name="x", amount=Decimal(1), currency="USD", return_url="https://r")
