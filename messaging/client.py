"""The Mitto v1.1 HTTP client (MITTO.md): bulk send, single send, status lookup.

Every failure is one of the typed errors of `messaging.errors`; anything Mitto answers that the contract
does not describe is logged as a bounded summary (size, keys, a short excerpt with phones masked) on the
"messaging.mitto" logger, never whole. The API key is sent as a header and appears in no log line,
exception message or repr. Each request is timed into `shopsms_provider_request_seconds` by endpoint and
outcome, and each message Mitto answered counts as `accepted` or `rejected` in `shopsms_messages`.
"""

import functools
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import quote

import orjson
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, ProtocolError, ReadTimeoutError

from config.observability.logs import payload_summary
from config.observability.metrics import observe_messages, observe_provider_request
from messaging.errors import MittoError, OutcomeUnknown, PermanentError, RateLimited, TransientError

logger = logging.getLogger("messaging.mitto")

BULK_PATH = "/api/v1.1/Messages/sendmessagesbulk"
SEND_PATH = "/api/v1.1/Messages/send"
LOOKUP_PATH = "/api/v1.1/Messages/{}"
MAX_BATCH = 5000
POOL_SIZE = 8
ENDPOINTS = {BULK_PATH: "bulk", SEND_PATH: "single"}
# The metrics' outcome of a request that raised (OutcomeUnknown included: ambiguous, or answered unreadably).
ERROR_OUTCOMES = ((RateLimited, "rate_limited"), (TransientError, "transient"), (PermanentError, "permanent"),
                  (OutcomeUnknown, "unknown"))


@dataclass(slots=True)
class OutboundMessage:
    destination: str
    text: str
    sender: str
    traffic_account_id: str
    reference: str | None = None

    def as_payload(self) -> dict[str, Any]:
        """The message as Mitto's request item (`reference` left out when there is none)."""
        return _items([self])[0]


@dataclass(slots=True)
class MessageOutcome:
    """Mitto's answer for one message; `index` is its position in the request."""

    reference: str | None
    accepted: bool
    message_id: str | None
    error: str | None
    index: int


@dataclass(slots=True)
class BulkResult:
    """Mitto's answer to one bulk request; `outcomes` are in request order, one per message."""

    bulk_id: str
    outcomes: list[MessageOutcome]


class MittoClient:
    """A Mitto client with one pooled HTTP session, safe to share between a few threads."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float = 10.0, max_batch: int = MAX_BATCH):
        if not 0 < max_batch <= MAX_BATCH:
            raise ValueError(f"max_batch must be between 1 and {MAX_BATCH}, got {max_batch}")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = float(timeout_s)
        self.max_batch = max_batch
        self._api_key = api_key or ""
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL_SIZE, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {"X-Mitto-API-Key": self._api_key, "Content-Type": "application/json", "Accept": "application/json"}
        )

    def __repr__(self) -> str:
        return f"MittoClient(base_url={self.base_url!r}, timeout_s={self.timeout_s}, max_batch={self.max_batch})"

    def close(self) -> None:
        self._session.close()

    def send_bulk(self, messages: Sequence[OutboundMessage]) -> BulkResult:
        """Send up to `max_batch` messages in one request; per-message outcomes in request order."""
        if not messages:
            raise ValueError("send_bulk needs at least one message")
        if len(messages) > self.max_batch:
            raise ValueError(f"send_bulk takes at most {self.max_batch} messages, got {len(messages)}")
        payload = self._call("POST", BULK_PATH, _encode({"messages": _items(messages)}))
        try:
            result = _bulk_result(messages, payload)
        except _Malformed as exc:
            raise self._malformed(str(exc), payload) from None
        accepted = sum(1 for outcome in result.outcomes if outcome.accepted)
        observe_messages("accepted", accepted)
        observe_messages("rejected", len(result.outcomes) - accepted)
        return result

    def send_one(self, message: OutboundMessage) -> MessageOutcome:
        """Send one message through the single-send endpoint."""
        payload = self._call("POST", SEND_PATH, _encode(message.as_payload()))
        try:
            outcome = _single_outcome(message, payload)
        except _Malformed as exc:
            raise self._malformed(str(exc), payload) from None
        observe_messages("accepted" if outcome.accepted else "rejected")
        return outcome

    def lookup(self, message_id: str) -> dict | None:
        """Mitto's record of one message, or None when Mitto does not know the id."""
        payload = self._call("GET", LOOKUP_PATH.format(quote(message_id, safe="")), none_on_404=True)
        if payload is not None and not isinstance(payload, dict):
            raise self._malformed(f"lookup answered a {type(payload).__name__}", payload)
        return payload

    def _call(self, method: str, path: str, body: bytes | None = None, *, none_on_404: bool = False) -> Any:
        """The decoded answer of one request, timed into the provider metrics by its outcome."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            return self._answer(method, path, body, none_on_404=none_on_404)
        except MittoError as exc:
            outcome = next((name for kind, name in ERROR_OUTCOMES if isinstance(exc, kind)), "permanent")
            raise
        finally:
            observe_provider_request(ENDPOINTS.get(path, "lookup"), outcome, time.perf_counter() - started)

    def _answer(self, method: str, path: str, body: bytes | None, *, none_on_404: bool) -> Any:
        response = self._send(method, path, body)
        status = response.status_code
        if 200 <= status < 300:
            try:
                return orjson.loads(response.content)
            except ValueError:
                raise self._malformed(f"{method} {path} answered {status} with a body that is not JSON",
                                      response.text) from None
        if status == 404 and none_on_404:
            return None
        raise self._http_error(method, path, response)

    def _send(self, method: str, path: str, body: bytes | None) -> requests.Response:
        where = f"{method} {self.base_url}{path}"
        try:
            return self._session.request(
                method, self.base_url + path, data=body, timeout=(self.timeout_s, self.timeout_s),
                allow_redirects=False,
            )
        except requests.ConnectTimeout as exc:
            raise TransientError(f"connect timeout: {where}") from exc
        except requests.ReadTimeout as exc:
            raise OutcomeUnknown(f"no answer within {self.timeout_s}s after sending: {where}") from exc
        except (requests.exceptions.SSLError, requests.exceptions.ProxyError) as exc:
            raise TransientError(f"{type(exc).__name__} before sending: {where}") from exc
        except requests.ConnectionError as exc:
            if _never_sent(exc):
                raise TransientError(f"could not connect: {where}") from exc
            raise OutcomeUnknown(f"connection dropped after sending: {where}") from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise OutcomeUnknown(f"answer cut off: {where}") from exc
        except requests.RequestException as exc:
            raise PermanentError(f"request could not be made ({type(exc).__name__}): {where}", status=None) from exc

    def _http_error(self, method: str, path: str, response: requests.Response) -> MittoError:
        status = response.status_code
        level = logging.INFO if status == 429 else logging.WARNING
        logger.log(level, "Mitto answered %s to %s %s: %s", status, method, path,
                   payload_summary(response.text, clean=self._redact))
        detail = self._redact(_detail(response))
        if status == 429:
            retry_after = _retry_after_s(response.headers.get("Retry-After"))
            return RateLimited(f"Mitto answered 429 to {method} {path}", retry_after_s=retry_after)
        if status >= 500:
            return TransientError(f"Mitto answered {status} to {method} {path}: {detail}", status=status)
        return PermanentError(
            f"Mitto answered {status} to {method} {path}: {detail}", status=status, auth=status in (401, 403)
        )

    def _malformed(self, reason: str, payload: Any) -> OutcomeUnknown:
        logger.error("Malformed Mitto answer (%s): %s", reason, payload_summary(payload, clean=self._redact))
        return OutcomeUnknown(f"malformed answer from Mitto: {reason}")

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]") if self._api_key else text


def get_client() -> MittoClient:
    """The process's Mitto client for the current settings (one per process and settings)."""
    return _client_for(
        settings.MITTO_API_BASE, settings.MITTO_API_KEY, float(settings.MITTO_TIMEOUT_S),
        int(settings.SMS_BATCH_SIZE), os.getpid(),
    )


@functools.lru_cache(maxsize=4)
def _client_for(base_url: str, api_key: str, timeout_s: float, max_batch: int, pid: int) -> MittoClient:
    return MittoClient(base_url, api_key, timeout_s=timeout_s, max_batch=max_batch)


def _items(messages: Sequence[OutboundMessage]) -> list[dict[str, Any]]:
    """The request items, built in one comprehension: this runs for 5000 messages per request."""
    items = [
        {"trafficAccountId": m.traffic_account_id, "destination": m.destination,
         "sms": {"text": m.text, "sender": m.sender}, "reference": m.reference}
        for m in messages
    ]
    if any(m.reference is None for m in messages):
        for item in items:
            if item["reference"] is None:
                del item["reference"]
    return items


def _encode(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as json.dumps(ensure_ascii=False, separators=(",", ":")) writes it, 25x faster on a
    5000-message body (orjson)."""
    return orjson.dumps(payload)


def _never_sent(exc: BaseException) -> bool:
    """True when a requests ConnectionError happened while connecting, before any byte of the request left."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ConnectTimeoutError):  # NewConnectionError and NameResolutionError included
            return True
        if isinstance(seen, ProtocolError | ReadTimeoutError | RemoteDisconnected | ConnectionResetError):
            return False
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = getattr(seen, "reason", None) or wrapped or seen.__cause__ or seen.__context__
    return False


def _retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds()) if when.tzinfo else None


def _detail(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(payload, dict):
        for key in ("description", "error", "message", "title", "detail"):
            if payload.get(key):
                return str(payload[key])[:200]
    return str(payload)[:200]


class _Malformed(Exception):
    """An answer that does not have the shape MITTO.md describes; the message says what is wrong."""


def _bulk_result(messages: Sequence[OutboundMessage], payload: Any) -> BulkResult:
    bulk_id = payload.get("bulkId") if isinstance(payload, dict) else None
    items = payload.get("messages") if isinstance(payload, dict) else None
    if not bulk_id or not isinstance(items, list):
        raise _Malformed("no bulkId or no messages list")
    if len(items) != len(messages):
        raise _Malformed(f"{len(items)} items answered for {len(messages)} messages")
    if not all(isinstance(item, dict) for item in items):
        raise _Malformed("an answered item is not an object")
    order = _match(messages, items)
    if order is None:
        raise _Malformed("echoed references do not match the request")
    outcomes: list[MessageOutcome] = [None] * len(messages)  # type: ignore[list-item]
    for item, index in zip(items, order, strict=True):
        outcomes[index] = _outcome(item, messages[index].reference, index)
    return BulkResult(bulk_id=str(bulk_id), outcomes=outcomes)


def _match(messages: Sequence[OutboundMessage], items: list[dict]) -> list[int] | None:
    """Request index of each answered item: by echoed reference when references are unique, else by position.

    None when the echoed references cannot be matched one to one with the request.
    """
    references = [message.reference for message in messages]
    if [item.get("reference") for item in items] == references:
        return list(range(len(items)))
    by_reference = {reference: index for index, reference in enumerate(references) if reference is not None}
    unique = len(by_reference) == len(references)
    order = []
    for position, item in enumerate(items):
        echoed = item.get("reference")
        if echoed is None:
            order.append(position)
        elif unique:
            index = by_reference.get(echoed)
            if index is None:
                return None
            order.append(index)
        elif echoed == references[position]:
            order.append(position)
        else:
            return None
    return order if len(set(order)) == len(order) else None


def _outcome(item: dict, reference: str | None, index: int) -> MessageOutcome:
    message_id = item.get("messageId")
    if message_id not in (None, ""):
        return MessageOutcome(reference=reference, accepted=True, message_id=str(message_id), error=None, index=index)
    reason = item.get("error") or item.get("description") or "rejected by Mitto without a reason"
    return MessageOutcome(reference=reference, accepted=False, message_id=None, error=str(reason), index=index)


def _single_outcome(message: OutboundMessage, payload: Any) -> MessageOutcome:
    items = payload.get("messages") if isinstance(payload, dict) else None
    if isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict):
        return _outcome(items[0], message.reference, 0)
    if isinstance(payload, dict) and "messageId" in payload:
        return _outcome(payload, message.reference, 0)
    raise _Malformed("single send answer without exactly one message")
