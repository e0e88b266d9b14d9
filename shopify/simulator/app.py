"""What the simulator answers: (method, path, headers, body) -> Answer, as SHOPIFY.md describes Shopify.

Admin API paths are `/{shop}/admin/...` (set `SHOPIFY_ADMIN_BASE=http://127.0.0.1:PORT/{shop}`): the OAuth
authorize redirect and token endpoint, the GraphQL endpoint and the purchase confirmation page. `/_sim/...`
paths (no auth) drive and read the simulator; see `control.py`.
"""

import base64
import hmac
import json
import random
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from shopify.oauth import SHOP_DOMAIN, query_hmac
from shopify.simulator import graphql
from shopify.simulator.answers import Answer, json_answer
from shopify.simulator.config import SimulatorConfig
from shopify.simulator.control import control
from shopify.simulator.store import CallRecord, Purchase, Shop, Store
from shopify.simulator.webhooks import WebhookDispatcher
from shopify.webhooks import MANDATORY_TOPICS

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
UNKNOWN_CODE = "The authorization code was not found or was already used"
PURCHASE_OUTCOMES = {"approve": "ACTIVE", "decline": "DECLINED", "expire": "EXPIRED"}


class SimulatorApp:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._config_lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self.store = Store()
        self.webhooks = WebhookDispatcher(lambda: self.config, self._rng)
        self.throttle_left, self.fail_left = config.throttle_next, config.fail_next
        self.throttled = 0  # THROTTLED answers given

    def configure(self, opts: dict[str, Any]) -> SimulatorConfig:
        """Apply options at run time; `throttle_next` and `fail_next` re-arm their counters."""
        with self._config_lock:
            config = self.config.updated(opts)
            if "throttle_next" in opts:
                self.throttle_left = config.throttle_next
            if "fail_next" in opts:
                self.fail_left = config.fail_next
            self.config = config
        return config

    def reset(self) -> None:
        """Forget shops, customers, purchases, calls and queued webhooks (options stay)."""
        self.store.reset()
        self.webhooks.clear()
        self.throttled = 0

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        path, _, query = target.partition("?")
        if path.startswith("/_sim/"):
            return control(self, method, path, parse_qs(query), body, _base_url(headers))
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[1] != "admin" or not SHOP_DOMAIN.fullmatch(parts[0]):
            return self._answer(method, path, None, "unknown", json_answer(404, {"errors": "Not Found"}))
        shop, rest = parts[0], "/".join(parts[2:])
        if (method, rest) == ("GET", "oauth/authorize"):
            return self._answer(method, path, shop, "authorize", self._authorize(shop, parse_qs(query)))
        if (method, rest) == ("POST", "oauth/access_token"):
            return self._answer(method, path, shop, "access_token", self._access_token(shop, headers, body))
        if method == "POST" and parts[2] == "api" and len(parts) == 5 and parts[4] == "graphql.json":
            return self._graphql(method, path, shop, headers, body, _base_url(headers))
        if method == "GET" and len(parts) == 5 and parts[2] == "charges" and parts[4] == "confirm_purchase":
            decision = "decline" if parse_qs(query).get("decline") else "approve"
            return self._answer(method, path, shop, "confirm_purchase", self._confirm(shop, parts[3], decision))
        return self._answer(method, path, shop, "unknown", json_answer(404, {"errors": "Not Found"}))

    def _answer(self, method: str, path: str, shop: str | None, operation: str, answer: Answer,
                variables: dict | None = None) -> Answer:
        self.store.record(CallRecord(time.time(), method, path, shop, operation, answer.status, variables))
        return answer

    def _authorize(self, domain: str, query: dict[str, list[str]]) -> Answer:
        one = {name: values[0] for name, values in query.items()}
        config = self.config
        if config.api_key is not None and one.get("client_id") != config.api_key:
            return json_answer(400, {"errors": "Oauth error invalid_request: The client_id is not valid"})
        redirect, state = one.get("redirect_uri"), one.get("state")
        if not redirect or not redirect.startswith(("http://", "https://")) or not state:
            return json_answer(400, {"errors": "Oauth error invalid_request: redirect_uri and state are required"})
        shop = self.store.shop(domain, create=True, bucket_max=config.bucket_max)
        with self.store.lock:
            shop.scopes = one.get("scope", "")
        name = domain.removesuffix(".myshopify.com")
        params = {"code": self.store.issue_code(domain), "shop": domain, "state": state,
                  "host": base64.b64encode(f"admin.shopify.com/store/{name}".encode()).decode().rstrip("="),
                  "timestamp": str(int(time.time()))}
        params["hmac"] = query_hmac(params, config.api_secret)
        location = redirect + ("&" if "?" in redirect else "?") + urlencode(params)
        return Answer(302, b"", (("Location", location),))

    def _access_token(self, domain: str, headers: Any, body: bytes) -> Answer:
        config = self.config
        fields = _form_or_json(headers, body)
        secret_ok = hmac.compare_digest(str(fields.get("client_secret", "")).encode(), config.api_secret.encode())
        if not secret_ok or (config.api_key is not None and fields.get("client_id") != config.api_key):
            return json_answer(400, {"error": "invalid_client", "error_description": "Client credentials invalid"})
        shop = self.store.shop(domain)
        with self.store.lock:
            if shop is None:
                return json_answer(400, {"error": "invalid_request", "error_description": "Unknown shop"})
            if fields.get("grant_type") == "refresh_token":
                expiry = shop.refresh_tokens.pop(str(fields.get("refresh_token", "")), 0)
                if expiry <= time.time():
                    return json_answer(400, {"error": "invalid_grant", "error_description": "Refresh token invalid"})
                return json_answer(200, shop.issue_token(config.token_ttl_s or 86400, config.refresh_ttl_s))
            if not self.store.take_code(str(fields.get("code", "")), domain):
                return json_answer(400, {"error": "invalid_request", "error_description": UNKNOWN_CODE})
            shop.installed = True
            expiring = str(fields.get("expiring", "")) in ("1", "true") and config.token_ttl_s > 0
            return json_answer(200, shop.issue_token(config.token_ttl_s if expiring else 0, config.refresh_ttl_s))

    def _graphql(self, method: str, path: str, domain: str, headers: Any, body: bytes, base_url: str) -> Answer:
        config, shop = self.config, self.store.shop(domain)
        document, variables, error = _graphql_request(body)
        name = graphql.operation(document or "") or "unknown"
        answer = self._refusal(shop, headers, config)
        if answer is None:
            answer = json_answer(400, {"errors": {"query": error}}) if error else self._execute(
                shop, name, document, variables, base_url, config)
        if config.delay_ms:
            time.sleep(config.delay_ms / 1000)
        return self._answer(method, path, domain, name, answer, variables)

    def _refusal(self, shop: Shop | None, headers: Any, config: SimulatorConfig) -> Answer | None:
        if shop is None:
            return json_answer(404, {"errors": "Not Found"})
        with self.store.lock:
            valid = shop.token_valid(headers.get("X-Shopify-Access-Token") or "")
        if not valid:
            return json_answer(401, {"errors": INVALID_TOKEN})
        with self._config_lock:
            failing = self.fail_left > 0
            self.fail_left -= failing
        if failing:
            return json_answer(config.fail_status, {"errors": f"Simulated {config.fail_status}"})
        if config.fail_5xx_share and self._rng.random() < config.fail_5xx_share:
            return json_answer(503, {"errors": "Service Unavailable (simulated)"})
        return None

    def _execute(self, shop: Shop, name: str, document: str, variables: dict, base_url: str,
                 config: SimulatorConfig) -> Answer:
        if name == "unknown":
            return json_answer(200, {"errors": [{"message": "The simulator does not answer this operation",
                                                 "extensions": {"code": "UNSUPPORTED"}}]})
        ctx = graphql.Context(shop=shop, base_url=base_url, emit=self.emit, bulk_polls=config.bulk_polls,
                              next_number=self.store.number, purchases=self.store.purchases, document=document)
        with self.store.lock:
            bucket = shop.bucket
            bucket.refill(config.restore_rate, config.bucket_max)
            try:
                requested = graphql.requested_cost(name, variables)
                with self._config_lock:
                    throttled = self.throttle_left > 0 or bucket.available < requested
                    self.throttle_left -= self.throttle_left > 0
                if throttled:
                    self.throttled += 1
                    return json_answer(200, {"errors": [{"message": "Throttled", "extensions": {
                        "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                        "extensions": {"cost": _cost(requested, None, bucket, config)}})
                data, actual = graphql.run(name, ctx, variables)
            except graphql.QueryError as exc:
                return json_answer(200, {"errors": [{"message": str(exc), "extensions": {"code": "BAD_REQUEST"}}]})
            bucket.available -= actual
            return json_answer(200, {"data": data, "extensions": {"cost": _cost(requested, actual, bucket, config)}})

    def emit(self, shop: Shop, topic: str, payload: dict) -> str:
        """Queue a webhook for `shop`'s subscribers of `topic` (the mandatory privacy topics go to any URL the
        shop subscribed, as an app's configured privacy endpoint would); its webhook id."""
        with self.store.lock:
            urls = shop.callback_urls(topic)
            if not urls and topic in MANDATORY_TOPICS:
                urls = next((found for found in shop.subscriptions.values() if found), [])[:1]
        return self.webhooks.emit(shop=shop.domain, topic=topic, payload=payload, urls=urls)

    def _confirm(self, domain: str, number: str, decision: str) -> Answer:
        found = self.store.purchases.get(int(number)) if number.isdigit() else None
        if found is None or found[0] != domain:
            return json_answer(404, {"errors": "Not Found"})
        purchase = self.decide_purchase(int(number), decision)
        location = purchase.return_url + ("&" if "?" in purchase.return_url else "?") + f"charge_id={purchase.number}"
        return Answer(302, b"", (("Location", location),))

    def decide_purchase(self, number: int, decision: str) -> Purchase:
        """Move a PENDING purchase to ACTIVE / DECLINED / EXPIRED and send app_purchases_one_time/update; a
        purchase already decided stays as it is. KeyError for an unknown purchase or decision."""
        status = PURCHASE_OUTCOMES[decision]
        with self.store.lock:
            domain, purchase = self.store.purchases[number]
            if purchase.status != "PENDING":
                return purchase
            purchase.status, purchase.updated_at = status, time.time()
            shop = self.store.shop(domain)
        payload = {"app_purchase_one_time": {
            "admin_graphql_api_id": purchase.gid, "name": purchase.name, "status": purchase.status,
            "admin_graphql_api_shop_id": f"gid://shopify/Shop/{shop.shop_id}",
            "created_at": _iso(purchase.created_at), "updated_at": _iso(purchase.updated_at)}}
        self.emit(shop, "app_purchases_one_time/update", payload)
        return purchase


def _cost(requested: int, actual: int | None, bucket: Any, config: SimulatorConfig) -> dict:
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": {
        "maximumAvailable": config.bucket_max, "currentlyAvailable": round(bucket.available, 1),
        "restoreRate": config.restore_rate}}


def _graphql_request(body: bytes) -> tuple[str, dict, str | None]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", {}, "Required parameter missing or invalid"
    query = payload.get("query") if isinstance(payload, dict) else None
    variables = payload.get("variables") if isinstance(payload, dict) else None
    if not isinstance(query, str) or not query.strip():
        return "", {}, "Required parameter missing or invalid"
    return query, variables if isinstance(variables, dict) else {}, None


def _form_or_json(headers: Any, body: bytes) -> dict:
    if "json" in (headers.get("Content-Type") or ""):
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return {}
        return payload if isinstance(payload, dict) else {}
    return {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace")).items()}


def _base_url(headers: Any) -> str:
    return f"http://{headers.get('Host') or '127.0.0.1'}"


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
