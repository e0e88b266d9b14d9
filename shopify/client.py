"""The GraphQL Admin API client (SHOPIFY.md, "GraphQL Admin API") for one shop and one access token.

Every answer's cost bucket is read (`last_throttle`). A THROTTLED answer (or HTTP 429) is retried after
`(requested cost - currentlyAvailable) / restoreRate` seconds (or Retry-After); 5xx and failed connections
are retried with capped exponential backoff; queries are retried after a read timeout, mutations are not
(`OutcomeUnknown`). Every other failure is one of `shopify.errors`. The access token travels as a
per-request header and appears in no log line, exception message or repr; a malformed answer is logged by its
shape, never its content (it may hold customers' names and phones).
"""

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings

from shopify.errors import (
    HTTP_ERRORS,
    GraphQLError,
    OutcomeUnknown,
    ShopifyError,
    Throttled,
    TransientError,
    UserErrors,
)
from shopify.http import admin_url, session
from shopify.records import ThrottleStatus

logger = logging.getLogger("shopify.client")

LOG_LIMIT = 500  # of an error answer: Shopify's message, never a customer list
DEFAULT_WAIT_S = 1.0
MAX_WAIT_S = 60.0


class AdminClient:
    """GraphQL Admin calls for one shop. Safe to share between threads (the session is the process's)."""

    def __init__(self, shop: str, access_token: str, *, api_version: str | None = None, timeout_s: float = 30.0,
                 max_throttle_waits: int = 10, max_attempts: int = 4, backoff_base_s: float = 0.5,
                 backoff_cap_s: float = 8.0, sleep: Callable[[float], None] = time.sleep):
        self.shop = shop
        self.api_version = api_version or settings.SHOPIFY_API_VERSION
        self.url = admin_url(shop, f"api/{self.api_version}/graphql.json")
        self.timeout_s = timeout_s
        self.max_throttle_waits = max_throttle_waits
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.last_throttle: ThrottleStatus | None = None
        self._token = access_token or ""
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"AdminClient(shop={self.shop!r}, api_version={self.api_version!r})"

    def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """`data` of a query; retried after throttling, 5xx and timeouts."""
        return self._execute(document, variables, idempotent=True)

    def mutate(self, document: str, variables: dict[str, Any], *, field: str) -> dict[str, Any]:
        """`data[field]` of a mutation; UserErrors when it answers any `userErrors`. Not retried after a read
        timeout (it may have happened): OutcomeUnknown."""
        data = self._execute(document, variables, idempotent=False)
        result = data.get(field)
        if not isinstance(result, dict):
            raise self._malformed(f"the {field} answer has no {field} object", data)
        user_errors = result.get("userErrors")
        if isinstance(user_errors, list) and user_errors:
            raise UserErrors(field, [error if isinstance(error, dict) else {"message": error} for error in user_errors])
        return result

    def _execute(self, document: str, variables: dict[str, Any] | None, *, idempotent: bool) -> dict[str, Any]:
        body = json.dumps({"query": document, "variables": variables or {}}, separators=(",", ":")).encode()
        throttle_waits, attempt = 0, 0
        while True:
            attempt += 1
            try:
                outcome = self._once(body, idempotent=idempotent)
            except TransientError:
                if attempt >= self.max_attempts:
                    raise
                self._sleep(min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1)))
                continue
            if isinstance(outcome, dict):
                return outcome
            throttle_waits += 1
            if throttle_waits > self.max_throttle_waits:
                raise Throttled(f"{self.shop} still throttled after {self.max_throttle_waits} waits",
                                retry_after_s=outcome)
            self._sleep(outcome)

    def _once(self, body: bytes, *, idempotent: bool) -> dict[str, Any] | float:
        """`data`, or the seconds to wait before the same request may be sent again."""
        response = self._post(body, idempotent=idempotent)
        status = response.status_code
        if status == 429:
            return _retry_after(response.headers.get("Retry-After"))
        if status >= 500:
            self._log(logging.WARNING, status, response.text)
            raise TransientError(f"{self.shop} answered {status}", status=status)
        if status != 200:
            self._log(logging.WARNING, status, response.text)
            kind = HTTP_ERRORS.get(status, ShopifyError)
            raise kind(f"{self.shop} answered {status}: {self._redact(_detail(response))}", status=status)
        try:
            payload = json.loads(response.content)
        except ValueError:
            raise self._malformed("the answer is not JSON", response.text) from None
        if not isinstance(payload, dict):
            raise self._malformed("the answer is not a JSON object", payload)
        cost = obj_at(payload, "extensions", "cost")
        self.last_throttle = _throttle(cost) or self.last_throttle
        errors = payload.get("errors")
        if errors:
            if _throttled(errors):
                return throttle_wait(cost)
            self._log(logging.WARNING, status, json.dumps(errors, default=str))
            raise GraphQLError(f"{self.shop} answered errors: {self._redact(_messages(errors))}",
                               errors=errors if isinstance(errors, list) else [errors])
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self._malformed("the answer has no data object", payload)
        return data

    def _post(self, body: bytes, *, idempotent: bool) -> requests.Response:
        headers = {"X-Shopify-Access-Token": self._token, "Content-Type": "application/json"}
        try:
            return session().post(self.url, data=body, headers=headers, allow_redirects=False,
                                  timeout=(min(self.timeout_s, 10.0), self.timeout_s))
        except requests.ConnectTimeout:
            raise TransientError(f"connect timeout to {self.shop}") from None
        except requests.ReadTimeout:
            if idempotent:
                raise TransientError(f"no answer from {self.shop} within {self.timeout_s}s") from None
            raise OutcomeUnknown(f"no answer from {self.shop} within {self.timeout_s}s after sending") from None
        except requests.ConnectionError:
            if idempotent:
                raise TransientError(f"connection to {self.shop} failed") from None
            raise OutcomeUnknown(f"connection to {self.shop} failed; the mutation may have happened") from None
        except requests.RequestException as exc:
            raise ShopifyError(f"request to {self.shop} could not be made ({type(exc).__name__})") from None

    def _malformed(self, reason: str, payload: Any) -> ShopifyError:
        """Logged by shape only (type, keys, size): a customers answer holds names and phones."""
        if isinstance(payload, dict):
            shape = f"object with keys {sorted(map(str, payload))[:10]}"
        else:
            shape = f"{type(payload).__name__} of {len(payload) if hasattr(payload, '__len__') else '?'} items/chars"
        logger.error("Malformed Shopify answer from %s (%s): %s", self.shop, reason, shape)
        return ShopifyError(f"malformed answer from {self.shop}: {reason}")

    def _log(self, level: int, status: int, text: str) -> None:
        logger.log(level, "Shopify %s answered %s: %s", self.shop, status, self._redact(text[:LOG_LIMIT]))

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "[redacted]") if self._token else text


def throttle_wait(cost: dict | None) -> float:
    """Seconds until the bucket holds the request's cost: `(cost - currentlyAvailable) / restoreRate`."""
    status = obj_at(cost or {}, "throttleStatus")
    try:
        needed = float((cost or {}).get("requestedQueryCost")) - float(status.get("currentlyAvailable"))
        rate = float(status.get("restoreRate"))
    except (TypeError, ValueError):
        return DEFAULT_WAIT_S
    if not rate > 0:
        return DEFAULT_WAIT_S
    return min(MAX_WAIT_S, max(0.0, needed / rate))


def obj_at(payload: Any, *path: str) -> dict:
    for name in path:
        payload = payload.get(name) if isinstance(payload, dict) else None
    return payload if isinstance(payload, dict) else {}


def _throttle(cost: dict) -> ThrottleStatus | None:
    status = obj_at(cost, "throttleStatus")
    try:
        return ThrottleStatus(
            maximum_available=float(status["maximumAvailable"]),
            currently_available=float(status["currentlyAvailable"]), restore_rate=float(status["restoreRate"]),
            requested_cost=_number(cost.get("requestedQueryCost")), actual_cost=_number(cost.get("actualQueryCost")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        obj_at(error, "extensions").get("code") == "THROTTLED" for error in errors if isinstance(error, dict)
    )


def _messages(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(str(error.get("message") if isinstance(error, dict) else error) for error in errors)[:300]
    return str(errors)[:300]


def _detail(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200]
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return _messages(errors) if errors else str(payload)[:200]


def _retry_after(value: str | None) -> float:
    try:
        return min(MAX_WAIT_S, max(0.0, float(value))) if value else DEFAULT_WAIT_S
    except ValueError:
        return DEFAULT_WAIT_S
