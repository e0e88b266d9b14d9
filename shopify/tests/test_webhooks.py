"""Webhook HMAC over the raw body and every topic of SHOPIFY.md parsed into records, with the documented
variants (enum case, nulls, 2026-10 fields); anything malformed is a WebhookParseError, never a crash."""

import base64
import contextlib
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopify import webhooks
from shopify.errors import UnknownTopic, WebhookParseError
from shopify.parsing import graphql_customer
from shopify.records import (
    AppUninstalled,
    Consent,
    ConsentUpdate,
    Customer,
    CustomerDeleted,
    CustomerRedact,
    DataRequest,
    DiscountCode,
    Purchase,
    ShopRedact,
)
from shopify.webhooks import TOPICS, delivery, parse_webhook, sign_body, verify_webhook

SECRET = "client-secret"
EST = timezone(timedelta(hours=-5))
CONSENT_DOC = {"id": 706405506930370084, "phone": "+16135551212", "sms_marketing_consent": {
    "state": "subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": "2026-11-30T10:00:00-05:00",
    "consent_collected_from": "other"}}


def body(payload) -> bytes:
    return json.dumps(payload).encode()


# --- HMAC -----------------------------------------------------------------------------------------------------

def test_sign_body_is_base64_hmac_sha256_of_the_raw_body():
    raw = body(CONSENT_DOC)
    expected = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    assert sign_body(raw, SECRET) == expected


def test_verify_accepts_the_right_signature_and_refuses_a_tampered_byte():
    raw = body(CONSENT_DOC)
    signature = sign_body(raw, SECRET)
    assert verify_webhook(raw, signature, secret=SECRET)
    tampered = raw.replace(b"subscribed", b"subscribes")
    assert not verify_webhook(tampered, signature, secret=SECRET)
    flipped = bytes([raw[0] ^ 1]) + raw[1:]
    assert not verify_webhook(flipped, signature, secret=SECRET)
    assert not verify_webhook(raw, signature, secret=SECRET + "x")
    assert not verify_webhook(raw + b" ", signature, secret=SECRET)  # the raw body, not its JSON


@pytest.mark.parametrize("signature", [None, "", "not base64 ✓", "AAAA"])
def test_verify_refuses_missing_or_garbage_signatures(signature):
    assert not verify_webhook(b"{}", signature, secret=SECRET)


def test_verify_without_a_secret_refuses_everything(settings):
    settings.SHOPIFY_API_SECRET = ""
    assert not verify_webhook(b"{}", sign_body(b"{}", ""))


def test_verify_uses_the_configured_secret(settings):
    settings.SHOPIFY_API_SECRET = SECRET
    assert verify_webhook(b"{}", sign_body(b"{}", SECRET))


def test_verify_compares_in_constant_time(monkeypatch):
    seen = []
    real = hmac.compare_digest
    monkeypatch.setattr(webhooks.hmac, "compare_digest", lambda a, b: seen.append(1) or real(a, b))
    verify_webhook(b"{}", sign_body(b"{}", SECRET), secret=SECRET)
    assert seen == [1]


def test_delivery_reads_the_headers_case_insensitively():
    from django.http import HttpHeaders

    headers = HttpHeaders({"HTTP_X_SHOPIFY_TOPIC": "Customers/Update", "HTTP_X_SHOPIFY_SHOP_DOMAIN": "A.myshopify.com",
                           "HTTP_X_SHOPIFY_WEBHOOK_ID": "w-1", "HTTP_X_SHOPIFY_API_VERSION": "2026-10",
                           "HTTP_X_SHOPIFY_EVENT_ID": "e-1", "HTTP_X_SHOPIFY_TRIGGERED_AT": "2026-12-01T10:00:00Z",
                           "HTTP_X_SHOPIFY_HMAC_SHA256": "sig"})
    assert delivery(headers) == webhooks.Delivery("customers/update", "a.myshopify.com", "w-1", "2026-10", "e-1",
                                                  "2026-12-01T10:00:00Z", "sig")
    assert delivery({}).webhook_id == ""


# --- customers ------------------------------------------------------------------------------------------------

def test_customers_create_without_consent_since_2025_01():
    payload = {"id": 706405506930370084, "email": "bob@example.com", "first_name": "Bob", "last_name": "Norman",
               "phone": "+16136120707", "updated_at": "2026-11-30T10:00:00-05:00", "state": "disabled"}
    customer = parse_webhook("customers/create", body(payload))
    assert customer == Customer(customer_id=706405506930370084, first_name="Bob", last_name="Norman",
                                phone="+16136120707", updated_at=datetime(2026, 11, 30, 10, tzinfo=EST))
    assert customer.consent is None
    assert "Bob" not in repr(customer) and "+1613" not in repr(customer)


def test_customers_update_with_an_older_payloads_consent_and_tags():
    payload = {"id": "7", "first_name": None, "last_name": "  ", "phone": None, "updated_at": None,
               "tags": "vip, newsletter,", "sms_marketing_consent": {
                   "state": "UNSUBSCRIBED", "opt_in_level": None, "consent_updated_at": "2026-11-30T15:00:00Z",
                   "consent_collected_from": "SHOPIFY"}}
    customer = parse_webhook("customers/update", body(payload))
    assert customer.customer_id == 7 and customer.first_name is None and customer.last_name is None
    assert customer.tags == ("vip", "newsletter")
    assert customer.consent == Consent("unsubscribed", None, datetime(2026, 11, 30, 15, tzinfo=UTC),
                                       "shopify")


def test_customers_delete():
    assert parse_webhook("customers/delete", b'{"id": 9, "phone": null}') == CustomerDeleted(9)


def test_consent_update_from_shopify_md():
    update = parse_webhook("customers_marketing_consent/update", body(CONSENT_DOC))
    assert update == ConsentUpdate(706405506930370084, "+16135551212", Consent(
        "subscribed", "single_opt_in", datetime(2026, 11, 30, 10, tzinfo=EST), "other"))
    assert update.consent.subscribed


@pytest.mark.parametrize(("state", "expected"), [("subscribed", "subscribed"), ("SUBSCRIBED", "subscribed"),
                                                 ("Pending", "pending"), ("not_subscribed", "not_subscribed"),
                                                 ("unsubscribed", "unsubscribed"), ("REDACTED", "redacted"),
                                                 ("bogus", None), (None, None), (3, None)])
def test_consent_states_in_any_case(state, expected):
    payload = {**CONSENT_DOC, "sms_marketing_consent": {**CONSENT_DOC["sms_marketing_consent"], "state": state}}
    consent = parse_webhook("customers_marketing_consent/update", body(payload)).consent
    assert consent.state == expected
    assert consent.subscribed is (expected == "subscribed")


@pytest.mark.parametrize("source", ["OTHER", "other", "Other", " other "])
def test_consent_collected_from_in_any_case(source):
    payload = {**CONSENT_DOC, "sms_marketing_consent": {**CONSENT_DOC["sms_marketing_consent"],
                                                        "consent_collected_from": source}}
    assert parse_webhook("customers_marketing_consent/update", body(payload)).consent.collected_from == "other"


@pytest.mark.parametrize("consent", [None, {}, {"state": None, "opt_in_level": None, "consent_updated_at": None,
                                                "consent_collected_from": None}, "subscribed", []])
def test_consent_update_with_null_or_empty_consent(consent):
    update = parse_webhook("customers_marketing_consent/update", body({"id": 5, "phone": None,
                                                                        "sms_marketing_consent": consent}))
    assert update == ConsentUpdate(5, None, None)


def test_consent_with_bad_values_keeps_the_good_ones():
    payload = {"id": 5, "sms_marketing_consent": {"state": "subscribed", "opt_in_level": "TRIPLE_OPT_IN",
                                                  "consent_updated_at": "yesterday", "consent_collected_from": 1}}
    assert parse_webhook("customers_marketing_consent/update", body(payload)).consent == Consent("subscribed")


def test_a_naive_time_is_not_trusted():
    payload = {"id": 5, "sms_marketing_consent": {"state": "subscribed", "consent_updated_at": "2026-11-30T10:00:00"}}
    assert parse_webhook("customers_marketing_consent/update", body(payload)).consent.updated_at is None


# --- GraphQL customers ------------------------------------------------------------------------------------------

GQL_NODE = {"id": "gid://shopify/Customer/12", "firstName": "Ada", "lastName": "Lovelace", "phone": "+12125550100",
            "updatedAt": "2026-11-30T10:00:00Z", "tags": ["vip"],
            "smsMarketingConsent": {"marketingState": "UNSUBSCRIBED", "marketingOptInLevel": "SINGLE_OPT_IN",
                                    "consentUpdatedAt": "2026-11-01T10:00:00Z", "consentCollectedFrom": "OTHER"},
            "defaultPhoneNumber": {"phoneNumber": "+12125550199", "smsMarketingConsent": {
                "state": "SUBSCRIBED", "optInLevel": "CONFIRMED_OPT_IN", "updatedAt": "2026-11-30T10:00:00Z",
                "collectedFrom": "SHOPIFY"}}}


def test_graphql_customer_prefers_the_2026_10_phone_number_consent():
    customer = graphql_customer(GQL_NODE)
    assert customer.customer_id == 12 and customer.phone == "+12125550199" and customer.tags == ("vip",)
    assert customer.consent == Consent("subscribed", "confirmed_opt_in",
                                       datetime(2026, 11, 30, 10, tzinfo=UTC), "shopify")


def test_graphql_customer_falls_back_to_the_deprecated_fields():
    customer = graphql_customer({**GQL_NODE, "defaultPhoneNumber": None})
    assert customer.phone == "+12125550100"
    assert customer.consent == Consent("unsubscribed", "single_opt_in",
                                       datetime(2026, 11, 1, 10, tzinfo=UTC), "other")
    empty_new = {**GQL_NODE, "defaultPhoneNumber": {"phoneNumber": None, "smsMarketingConsent": None}}
    assert graphql_customer(empty_new).consent.state == "unsubscribed"


def test_graphql_customer_without_phone_or_consent():
    customer = graphql_customer({"id": "gid://shopify/Customer/13", "phone": None, "smsMarketingConsent": None,
                                 "defaultPhoneNumber": None, "tags": None, "firstName": None})
    assert customer == Customer(customer_id=13)


@pytest.mark.parametrize("node", [None, [], {"id": None}, {"id": "gid://shopify/Customer/x"}, {"id": True},
                                  {"id": -1}, {"id": "gid://shopify/Customer/0"}])
def test_graphql_customer_without_a_valid_id_is_a_parse_error(node):
    with pytest.raises(WebhookParseError):
        graphql_customer(node)


# --- orders -----------------------------------------------------------------------------------------------------

ORDER = {"id": 820982911946154508, "name": "#9999", "created_at": "2026-11-30T10:00:00-05:00",
         "total_price": "199.65", "currency": "USD", "customer": {"id": 115310627314723954, "phone": "+16135550135"},
         "phone": "+16135550135", "billing_address": {"phone": "555-625-1199"},
         "discount_codes": [{"code": "SMS20", "amount": "10.00", "type": "percentage"}],
         "landing_site": "/?utm_source=shopsms", "referring_site": "https://l.example/l/abc", "cancelled_at": None}


@pytest.mark.parametrize("topic", ["orders/create", "orders/paid", "orders/cancelled"])
def test_orders(topic):
    order = parse_webhook(topic, body(ORDER))
    assert (order.topic, order.order_id, order.name, order.currency) == (topic, 820982911946154508, "#9999", "USD")
    assert order.total_price == Decimal("199.65") and order.customer_id == 115310627314723954
    assert order.discount_codes == (DiscountCode("SMS20", Decimal("10.00"), "percentage"),)
    assert order.phones == ("+16135550135", "555-625-1199")
    assert order.landing_site == "/?utm_source=shopsms" and order.cancelled_at is None


def test_an_order_with_nulls_everywhere():
    payload = dict.fromkeys(ORDER) | {"id": 1, "discount_codes": [None, {"code": None, "amount": "x"}]}
    order = parse_webhook("orders/create", body(payload))
    assert order.order_id == 1 and order.customer_id is None and order.total_price is None and order.phones == ()
    assert order.discount_codes == (DiscountCode(None, None, None),)


def test_a_cancelled_order_carries_its_time():
    order = parse_webhook("orders/cancelled", body({**ORDER, "cancelled_at": "2026-12-01T09:00:00-05:00"}))
    assert order.cancelled_at == datetime(2026, 12, 1, 9, tzinfo=EST)


# --- app, privacy, purchases --------------------------------------------------------------------------------------

def test_app_uninstalled():
    payload = {"id": 548380009, "name": "Toys", "domain": "toys.example", "myshopify_domain": "toys.myshopify.com"}
    assert parse_webhook("app/uninstalled", body(payload)) == AppUninstalled(548380009, "toys.myshopify.com")
    assert parse_webhook("app/uninstalled", b"{}") == AppUninstalled(None, None)


def test_customers_data_request():
    payload = {"shop_id": 954889, "shop_domain": "toys.myshopify.com", "orders_requested": [299938, 280263, "x"],
               "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
               "data_request": {"id": 9999}}
    assert parse_webhook("customers/data_request", body(payload)) == DataRequest(
        954889, "toys.myshopify.com", 191167, "john@example.com", "555-625-1199", (299938, 280263), 9999)


def test_customers_redact():
    payload = {"shop_id": 954889, "shop_domain": "toys.myshopify.com", "customer": {"id": 191167, "email": None,
                                                                                      "phone": "555-625-1199"},
               "orders_to_redact": [299938]}
    assert parse_webhook("customers/redact", body(payload)) == CustomerRedact(
        954889, "toys.myshopify.com", 191167, None, "555-625-1199", (299938,))
    assert parse_webhook("customers/redact", b'{"customer": null}').customer_id is None


def test_shop_redact():
    assert parse_webhook("shop/redact", b'{"shop_id": 954889, "shop_domain": "toys.myshopify.com"}') == ShopRedact(
        954889, "toys.myshopify.com")


def test_app_purchase_update_in_either_case():
    payload = {"app_purchase_one_time": {"admin_graphql_api_id": "gid://shopify/AppPurchaseOneTime/1017262355",
                                         "name": "5000 SMS", "status": "active",
                                         "admin_graphql_api_shop_id": "gid://shopify/Shop/548380009",
                                         "created_at": "2026-12-01T10:00:00-05:00", "updated_at": None}}
    purchase = parse_webhook("app_purchases_one_time/update", body(payload))
    assert purchase == Purchase("gid://shopify/AppPurchaseOneTime/1017262355", "ACTIVE", "5000 SMS",
                                "gid://shopify/Shop/548380009", None, datetime(2026, 12, 1, 10, tzinfo=EST))
    assert purchase.active


def test_app_purchase_update_flat_or_with_a_numeric_id():
    purchase = parse_webhook("app_purchases_one_time/update", b'{"id": 77, "status": "DECLINED"}')
    assert (purchase.purchase_id, purchase.status, purchase.active) == (
        "gid://shopify/AppPurchaseOneTime/77", "DECLINED", False)
    with pytest.raises(WebhookParseError):
        parse_webhook("app_purchases_one_time/update", b'{"app_purchase_one_time": {"status": "ACTIVE"}}')


# --- malformed ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe", b"[]", b"null", b"42", b'"x"'])
@pytest.mark.parametrize("topic", TOPICS)
def test_a_body_that_is_not_a_json_object_is_a_parse_error(topic, raw):
    with pytest.raises(WebhookParseError):
        parse_webhook(topic, raw)


@pytest.mark.parametrize("topic", ["customers/create", "customers/update", "customers/delete", "orders/create",
                                   "customers_marketing_consent/update"])
@pytest.mark.parametrize("payload", [{}, {"id": None}, {"id": "abc"}, {"id": {"x": 1}}, {"id": 1.5}])
def test_a_payload_without_a_valid_id_is_a_parse_error(topic, payload):
    with pytest.raises(WebhookParseError, match="id"):
        parse_webhook(topic, body(payload))


def test_an_unknown_topic():
    with pytest.raises(UnknownTopic):
        parse_webhook("carts/update", b"{}")
    assert parse_webhook(" Customers/Delete ", b'{"id": 1}') == CustomerDeleted(1)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                 max_size=5), max_leaves=20)
KEYS = ["id", "phone", "first_name", "updated_at", "sms_marketing_consent", "state", "customer", "discount_codes",
        "total_price", "app_purchase_one_time", "admin_graphql_api_id", "status", "orders_requested", "shop_id",
        "consent_updated_at", "billing_address", "tags", "data_request", "created_at"]


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(TOPICS), payload=st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8))
def test_any_payload_is_a_record_or_a_parse_error_never_a_crash(topic, payload):
    with contextlib.suppress(WebhookParseError):
        parse_webhook(topic, json.dumps(payload).encode())
