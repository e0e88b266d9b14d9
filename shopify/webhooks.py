"""Shopify webhooks (SHOPIFY.md, "Webhooks"): the HMAC check over the raw body, the delivery headers, and
every topic's payload parsed into a plain record (`shopify.records`).

Verify first, parse after: `verify_webhook` compares in constant time; `parse_webhook` never raises anything
but `WebhookParseError` (or its `UnknownTopic`), whatever the body holds.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from shopify.errors import UnknownTopic, WebhookParseError
from shopify.parsing import consent, money, numeric_id, obj, required_id, text, webhook_customer, when
from shopify.records import (
    AppUninstalled,
    ConsentUpdate,
    CustomerDeleted,
    CustomerRedact,
    DataRequest,
    DiscountCode,
    Order,
    Purchase,
    ShopRedact,
)

TOPICS = (
    "customers/create", "customers/update", "customers/delete", "customers_marketing_consent/update",
    "orders/create", "orders/paid", "orders/cancelled", "app/uninstalled",
    "customers/data_request", "customers/redact", "shop/redact", "app_purchases_one_time/update",
)
MANDATORY_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")


@dataclass(frozen=True, slots=True)
class Delivery:
    """The `X-Shopify-*` headers of one delivery; any may be empty on a malformed request."""

    topic: str
    shop_domain: str
    webhook_id: str
    api_version: str
    event_id: str
    triggered_at: str
    hmac: str


def sign_body(body: bytes, secret: str) -> str:
    """Shopify's `X-Shopify-Hmac-Sha256`: base64 of the HMAC-SHA256 of the raw body, keyed with the secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


def verify_webhook(body: bytes, signature: str | None, *, secret: str | None = None) -> bool:
    """True when `signature` is the body's HMAC under the client secret (constant-time compare)."""
    secret = settings.SHOPIFY_API_SECRET if secret is None else secret
    if not secret or not signature:
        return False
    expected = sign_body(body, secret).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def delivery(headers: Mapping[str, str]) -> Delivery:
    """The delivery headers, from a case-insensitive mapping (Django's `request.headers`)."""
    def get(name: str) -> str:
        return (headers.get(f"X-Shopify-{name}") or "").strip()

    return Delivery(topic=get("Topic").lower(), shop_domain=get("Shop-Domain").lower(), webhook_id=get("Webhook-Id"),
                    api_version=get("API-Version"), event_id=get("Event-Id"), triggered_at=get("Triggered-At"),
                    hmac=get("Hmac-Sha256"))


def parse_webhook(topic: str, body: bytes | str | Any) -> Any:
    """The record for one delivery's payload; `body` raw bytes/str, or the JSON already decoded."""
    parser = _PARSERS.get((topic or "").strip().lower())
    if parser is None:
        raise UnknownTopic(f"unknown topic {str(topic)[:80]!r}")
    payload = body
    if isinstance(body, bytes | str):
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise WebhookParseError(f"the {topic} body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookParseError(f"the {topic} body is not a JSON object")
    try:
        return parser(payload)
    except WebhookParseError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise WebhookParseError(f"the {topic} body is malformed ({type(exc).__name__})") from None


def _consent_update(payload: dict) -> ConsentUpdate:
    return ConsentUpdate(customer_id=required_id(payload), phone=text(payload.get("phone")),
                         consent=consent(payload.get("sms_marketing_consent"), graphql=False))


def _order(topic: str) -> Callable[[dict], Order]:
    def parse(payload: dict) -> Order:
        customer = obj(payload.get("customer"))
        return Order(
            topic=topic, order_id=required_id(payload), name=text(payload.get("name")),
            created_at=when(payload.get("created_at")), total_price=money(payload.get("total_price")),
            currency=text(payload.get("currency")), customer_id=numeric_id(customer.get("id")),
            customer_phone=text(customer.get("phone")), phone=text(payload.get("phone")),
            billing_phone=text(obj(payload.get("billing_address")).get("phone")),
            discount_codes=tuple(
                DiscountCode(code=text(item.get("code")), amount=money(item.get("amount")), type=text(item.get("type")))
                for item in _list(payload.get("discount_codes")) if isinstance(item, dict)
            ),
            landing_site=text(payload.get("landing_site")), referring_site=text(payload.get("referring_site")),
            cancelled_at=when(payload.get("cancelled_at")),
        )
    return parse


def _uninstalled(payload: dict) -> AppUninstalled:
    return AppUninstalled(shop_id=numeric_id(payload.get("id")),
                          shop_domain=text(payload.get("myshopify_domain") or payload.get("domain")))


def _data_request(payload: dict) -> DataRequest:
    return DataRequest(**_privacy_subject(payload), orders_requested=_ids(payload.get("orders_requested")),
                       request_id=numeric_id(obj(payload.get("data_request")).get("id")))


def _customer_redact(payload: dict) -> CustomerRedact:
    return CustomerRedact(**_privacy_subject(payload), orders_to_redact=_ids(payload.get("orders_to_redact")))


def _privacy_subject(payload: dict) -> dict[str, Any]:
    """The shop and customer a privacy request is about (fields shared by data_request and redact)."""
    customer = obj(payload.get("customer"))
    return {"shop_id": numeric_id(payload.get("shop_id")), "shop_domain": text(payload.get("shop_domain")),
            "customer_id": numeric_id(customer.get("id")), "email": text(customer.get("email")),
            "phone": text(customer.get("phone"))}


def _shop_redact(payload: dict) -> ShopRedact:
    return ShopRedact(shop_id=numeric_id(payload.get("shop_id")), shop_domain=text(payload.get("shop_domain")))


def _purchase(payload: dict) -> Purchase:
    purchase = obj(payload.get("app_purchase_one_time")) or payload
    purchase_id = text(purchase.get("admin_graphql_api_id")) or text(purchase.get("id"))
    if purchase_id is None or numeric_id(purchase_id) is None:
        raise WebhookParseError("the purchase has no valid admin_graphql_api_id")
    if purchase_id.isdigit():
        purchase_id = f"gid://shopify/AppPurchaseOneTime/{purchase_id}"
    status = text(purchase.get("status"))
    return Purchase(
        purchase_id=purchase_id, status=status.upper() if status else None, name=text(purchase.get("name")),
        shop_id=text(purchase.get("admin_graphql_api_shop_id")), created_at=when(purchase.get("created_at")),
        updated_at=when(purchase.get("updated_at")),
    )


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _ids(value: Any) -> tuple[int, ...]:
    return tuple(found for found in (numeric_id(item) for item in _list(value)) if found is not None)


_PARSERS: dict[str, Callable[[dict], Any]] = {
    "customers/create": webhook_customer,
    "customers/update": webhook_customer,
    "customers/delete": lambda payload: CustomerDeleted(customer_id=required_id(payload)),
    "customers_marketing_consent/update": _consent_update,
    "orders/create": _order("orders/create"),
    "orders/paid": _order("orders/paid"),
    "orders/cancelled": _order("orders/cancelled"),
    "app/uninstalled": _uninstalled,
    "customers/data_request": _data_request,
    "customers/redact": _customer_redact,
    "shop/redact": _shop_redact,
    "app_purchases_one_time/update": _purchase,
}
