"""The simulator's own endpoints (`/_sim/...`, no auth): options, stats, the call and delivery records,
shops and their customers, orders, uninstall, privacy requests, arbitrary webhooks, purchase decisions and
the bulk export's JSON Lines. A bad request is a 400 naming the problem."""

import json
import re
import time
from collections import Counter
from dataclasses import asdict
from typing import Any

from shopify.oauth import SHOP_DOMAIN
from shopify.simulator.answers import Answer, json_answer
from shopify.simulator.customers import SimCustomer
from shopify.webhooks import TOPICS

SimulatorApp = Any  # shopify.simulator.app.SimulatorApp, which routes /_sim/ here (not imported: no import circle)

PRIVACY = {"customers_data_request": "customers/data_request", "customers_redact": "customers/redact",
           "shop_redact": "shop/redact"}
CONSENT_STATES = ("NOT_SUBSCRIBED", "PENDING", "SUBSCRIBED", "UNSUBSCRIBED", "REDACTED")


class BadRequest(ValueError):
    pass


def control(app: SimulatorApp, method: str, path: str, query: dict[str, list[str]], body: bytes,
            base_url: str) -> Answer:
    try:
        payload = _body(body) if method == "POST" else {}
        return _route(app, method, path, query, payload)
    except (BadRequest, ValueError) as exc:
        return json_answer(400, {"error": str(exc)})
    except KeyError as exc:
        return json_answer(404, {"error": f"not found: {exc}"})


def _route(app: SimulatorApp, method: str, path: str, query: dict[str, list[str]], payload: dict) -> Answer:
    simple = {
        ("GET", "/_sim/config"): lambda: app.config.as_dict(),
        ("POST", "/_sim/config"): lambda: app.configure(payload).as_dict(),
        ("GET", "/_sim/stats"): lambda: stats(app),
        ("POST", "/_sim/reset"): lambda: app.reset() or {"reset": True},
        ("GET", "/_sim/requests"): lambda: [asdict(call) for call in app.store.call_records()],
        ("GET", "/_sim/deliveries"): lambda: deliveries(app),
        ("POST", "/_sim/flush"): lambda: {"delivered": app.webhooks.flush()},
        ("POST", "/_sim/shops"): lambda: create_shop(app, payload),
    }
    if (method, path) in simple:
        return json_answer(200, simple[(method, path)]())
    if match := re.fullmatch(r"/_sim/bulk/([^/]+)/(\d+)\.jsonl", path):
        return _bulk_file(app, match.group(1), int(match.group(2)))
    if method == "POST" and (match := re.fullmatch(r"/_sim/purchases/(\d+)/(approve|decline|expire)", path)):
        purchase = app.decide_purchase(int(match.group(1)), match.group(2))
        return json_answer(200, {"id": purchase.gid, "status": purchase.status})
    match = re.fullmatch(r"/_sim/shops/([^/]+)/(.+)", path)
    if match is None:
        return json_answer(404, {"error": "not found"})
    shop = app.store.shop(match.group(1))
    if shop is None:
        raise KeyError(match.group(1))
    action = match.group(2)
    if (method, action) == ("GET", "customers"):
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["1000"])[0])
        with app.store.lock:
            found = [c.node() for _, c in zip(range(offset + limit), shop.customers.after(None), strict=False)]
            return json_answer(200, {"total": len(shop.customers), "customers": found[offset:]})
    if method != "POST":
        return json_answer(405, {"error": "method not allowed"})
    if action == "customers":
        return json_answer(200, upsert_customer(app, shop, payload))
    if match := re.fullmatch(r"customers/(\d+)/delete", action):
        return json_answer(200, delete_customer(app, shop, int(match.group(1))))
    if action == "orders":
        return json_answer(200, order(app, shop, payload))
    if action == "uninstall":
        return json_answer(200, uninstall(app, shop))
    if action.startswith("privacy/") and action[8:] in PRIVACY:
        return json_answer(200, privacy(app, shop, PRIVACY[action[8:]], payload))
    if action == "webhooks":
        topic, body = payload.get("topic"), payload.get("payload")
        if not isinstance(topic, str) or not isinstance(body, dict | list):
            raise BadRequest("topic (a string) and payload (JSON) are required")
        return json_answer(200, {"webhook_id": app.emit(shop, topic, body)})
    return json_answer(404, {"error": "not found"})


def stats(app: SimulatorApp) -> dict[str, Any]:
    calls = app.store.call_records()
    records = list(app.webhooks.records)
    with app.store.lock:
        shops = {domain: {"customers": len(shop.customers), "installed": shop.installed,
                          "subscriptions": sorted(shop.subscriptions)} for domain, shop in app.store.shops.items()}
    return {
        "shops": shops, "calls": len(calls),
        "calls_by_operation": dict(Counter(call.operation for call in calls)),
        "calls_by_status": dict(Counter(str(call.status) for call in calls)),
        "webhooks_pending": app.webhooks.pending(), "deliveries": len(records),
        "deliveries_taken": sum(1 for r in records if r.signed_ok and r.status and 200 <= r.status < 300),
        "webhooks_given_up": app.webhooks.given_up, "webhooks_undeliverable": app.webhooks.undeliverable,
        "throttled": app.throttled, "throttle_left": app.throttle_left, "fail_left": app.fail_left,
    }


def deliveries(app: SimulatorApp) -> list[dict]:
    return [{**{k: v for k, v in asdict(record).items() if k != "body"}, "payload": json.loads(record.body)}
            for record in list(app.webhooks.records)]


def create_shop(app: SimulatorApp, payload: dict) -> dict:
    """A shop with `customers` generated customers (installed with a token when `token` is true; a development
    store when `development` is true)."""
    domain = payload.get("shop")
    if not isinstance(domain, str) or not SHOP_DOMAIN.fullmatch(domain):
        raise BadRequest("shop must be a myshopify.com domain")
    count, every = int(payload.get("customers", 0)), int(payload.get("no_phone_every", 10))
    if count < 0 or every < 0:
        raise BadRequest("customers and no_phone_every must not be negative")
    with app.store.lock:
        if app.store.shop(domain) is not None:
            raise BadRequest(f"shop {domain} exists")
        shop = app.store.shop(domain, create=True, customers=count, no_phone_every=every,
                              bucket_max=app.config.bucket_max)
        shop.scopes = str(payload.get("scopes", "read_customers,write_customers,read_orders"))
        shop.development = bool(payload.get("development"))
        answer = {"shop": domain, "shop_id": shop.shop_id, "customers": count}
        if payload.get("token"):
            shop.installed = True
            answer |= shop.issue_token(app.config.token_ttl_s, app.config.refresh_ttl_s)
    return answer


def upsert_customer(app: SimulatorApp, shop: Any, payload: dict) -> dict:
    """Create (no `id`) or change a customer; sends customers/create|update, and the consent webhook when a
    given consent changed it (a new customer with a phone and no consent is NOT_SUBSCRIBED). Fields: first_name,
    last_name, phone, email, consent {state, opt_in_level, collected_from, updated_at (epoch seconds)}."""
    now = time.time()
    with app.store.lock:
        customer_id = payload.get("id")
        old = shop.customers.get(int(customer_id)) if customer_id is not None else None
        if customer_id is not None and old is None:
            raise KeyError(customer_id)
        fields = {name: getattr(old, name) for name in SimCustomer.__slots__} if old else {
            "customer_id": shop.customers.next_id(), "first_name": None, "last_name": None, "phone": None}
        for name in ("first_name", "last_name", "phone", "email"):
            if name in payload:
                fields[name] = payload[name]
        consent = payload.get("consent")
        if isinstance(consent, dict):
            state = str(consent.get("state", "SUBSCRIBED")).upper()
            if state not in CONSENT_STATES:
                raise BadRequest(f"consent.state must be one of {', '.join(CONSENT_STATES)}")
            fields |= {"state": state, "opt_in_level": str(consent.get("opt_in_level", "SINGLE_OPT_IN")).upper(),
                       "collected_from": str(consent.get("collected_from", "OTHER")).upper(),
                       "consent_updated_at": float(consent.get("updated_at", now))}
        if fields.get("phone") is None:
            fields |= {"state": None, "opt_in_level": None, "collected_from": None, "consent_updated_at": None}
        elif fields.get("state") is None:
            fields |= {"state": "NOT_SUBSCRIBED", "opt_in_level": "SINGLE_OPT_IN"}
        fields["updated_at"] = float(payload.get("updated_at", now))
        customer = SimCustomer(**fields)
        shop.customers.put(customer)
    app.emit(shop, "customers/update" if old else "customers/create", customer.webhook())
    consent_fields = ("state", "opt_in_level", "consent_updated_at", "collected_from")
    if isinstance(consent, dict) and customer.state is not None and (
            old is None or any(getattr(old, n) != getattr(customer, n) for n in consent_fields)):
        app.emit(shop, "customers_marketing_consent/update", customer.consent_webhook())
    return customer.node()


def delete_customer(app: SimulatorApp, shop: Any, customer_id: int) -> dict:
    with app.store.lock:
        if not shop.customers.delete(customer_id):
            raise KeyError(customer_id)
    app.emit(shop, "customers/delete", {"id": customer_id, "phone": None, "addresses": []})
    return {"deleted": customer_id}


def order(app: SimulatorApp, shop: Any, payload: dict) -> dict:
    """An order for a customer (orders/create, or `topic`: paid / cancelled for an order `id` already sent)."""
    topic = "orders/" + str(payload.get("topic", "create"))
    if topic not in TOPICS:
        raise BadRequest("topic must be create, paid or cancelled")
    with app.store.lock:
        customer_id = payload.get("customer_id")
        customer = shop.customers.get(int(customer_id)) if customer_id is not None else None
        number = app.store.number()
        now = time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime())
        body = {
            "id": int(payload.get("id") or 5_000_000_000 + number), "name": f"#{1000 + number}", "created_at": now,
            "total_price": str(payload.get("total_price", "10.00")), "currency": payload.get("currency", "USD"),
            "customer": {"id": customer.customer_id, "phone": customer.phone} if customer else None,
            "phone": payload.get("phone"), "billing_address": {"phone": payload.get("billing_phone")},
            "discount_codes": payload.get("discount_codes", []), "landing_site": payload.get("landing_site"),
            "referring_site": payload.get("referring_site"),
            "cancelled_at": now if topic == "orders/cancelled" else None,
        }
        shop.orders.append(body)
    app.emit(shop, topic, body)
    return body


def uninstall(app: SimulatorApp, shop: Any) -> dict:
    """Send app/uninstalled, then drop the shop's tokens and subscriptions, as Shopify does."""
    app.emit(shop, "app/uninstalled", {"id": shop.shop_id, "name": shop.domain.split(".")[0],
                                       "domain": shop.domain, "myshopify_domain": shop.domain})
    with app.store.lock:
        shop.tokens.clear()
        shop.refresh_tokens.clear()
        shop.subscriptions.clear()
        shop.installed = False
    return {"uninstalled": shop.domain}


def privacy(app: SimulatorApp, shop: Any, topic: str, payload: dict) -> dict:
    body: dict[str, Any] = {"shop_id": shop.shop_id, "shop_domain": shop.domain}
    if topic != "shop/redact":
        customer_id = payload.get("customer_id")
        customer = shop.customers.get(int(customer_id)) if customer_id is not None else None
        if customer is None:
            raise KeyError(customer_id)
        body["customer"] = {"id": customer.customer_id, "email": customer.email, "phone": customer.phone}
        orders = [int(item) for item in payload.get("orders", [])]
        if topic == "customers/redact":
            body["orders_to_redact"] = orders
        else:
            body |= {"orders_requested": orders, "data_request": {"id": app.store.number()}}
    return {"webhook_id": app.emit(shop, topic, body), "payload": body}


def _bulk_file(app: SimulatorApp, domain: str, number: int) -> Answer:
    shop = app.store.shop(domain)
    if shop is None or shop.bulk is None or shop.bulk.number != number or shop.bulk.status != "COMPLETED":
        return json_answer(404, {"error": "no such bulk file"})
    return Answer(200, stream=shop.customers.jsonl(), content_type="application/jsonl")


def _body(body: bytes) -> dict:
    if not body:
        return {}
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return payload
