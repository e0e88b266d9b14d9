"""What the simulator answers: (method, path, headers, body) -> Answer, as MITTO.md describes Mitto.

The API endpoints check the key, the simulator's own rate limit and the injected faults, validate the
body (400 with a description), then validate and accept message by message. `/_sim/...` endpoints
(no key) read and change the simulator for tests run out of process.
"""

import functools
import hmac
import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qs

import orjson

from messaging.simulator.config import SimulatorConfig
from messaging.simulator.faults import Faults
from messaging.simulator.reports import ReportDispatcher, ReportPostFailed
from messaging.simulator.store import MessageStore, RequestRecord
from messaging.simulator.validation import INVALID_DESTINATION, destination_error, sender_error

API_PREFIX = "/api/v1.1/messages/"
_ACCOUNT, _SMS, _SENDER = itemgetter("trafficAccountId"), itemgetter("sms"), itemgetter("sender")
MAX_ITEMS = 5000


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


DROP = Answer(0)  # close the connection without answering


class SimulatorApp:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._config_lock = threading.Lock()
        rng = random.Random(config.seed)
        self.store = MessageStore()
        self.faults = Faults(rng, config.rate_limit_rps, config.burst_429)
        self.reports = ReportDispatcher(lambda: self.config, rng)

    def configure(self, opts: dict[str, Any]) -> SimulatorConfig:
        """Apply options at run time; `burst_429` re-arms the burst, `rate_limit_rps` refills the bucket."""
        with self._config_lock:
            config = self.config.updated(opts)
            if "rate_limit_rps" in opts:
                self.faults.bucket.configure(config.rate_limit_rps)
            if "burst_429" in opts:
                self.faults.arm_burst(config.burst_429)
            self.config = config
        return config

    def reset(self) -> None:
        self.store.reset()
        self.reports.clear()

    def stats(self) -> dict[str, Any]:
        counts = self.store.destination_counts()
        duplicates = Counter({destination: n for destination, n in counts.items() if n > 1})
        requests = self.store.requests()
        return {
            "accepted": self.store.accepted_count(),
            "destinations": len(counts),
            "duplicate_destinations": len(duplicates),
            "duplicates": dict(duplicates.most_common(100)),
            "requests": len(requests),
            "requests_by_status": dict(Counter(str(record.status) for record in requests)),
            "pending_reports": self.reports.pending(),
            "reports_posted": self.reports.posted,
            "report_posts": self.reports.posts,
            "report_post_failures": self.reports.post_failures,
            "burst_429_left": self.faults.burst_left,
        }

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        path, _, query = target.partition("?")
        if path.startswith("/_sim/"):
            return self._admin(method, path, parse_qs(query), body)
        route = _route(self, method, path)
        if isinstance(route, Answer):
            return route
        return self._api(method, path, headers, body, route)

    def _api(self, method: str, path: str, headers: Any, body: bytes, endpoint) -> Answer:
        at, config = time.time(), self.config
        payload, error = _parse(body) if method == "POST" else (None, None)
        answer = self._refusal(headers, config) or (_error(400, error) if error else endpoint(payload))
        if answer.status == 200 and method == "POST" and self.faults.happens(config.drop_after_accept_share):
            answer = DROP
        status = None if answer is DROP else answer.status
        self.store.record_request(RequestRecord(at, method, path, status, *_describe(payload)))
        if config.delay_ms and answer is not DROP:
            time.sleep(config.delay_ms / 1000)
        return answer

    def _refusal(self, headers: Any, config: SimulatorConfig) -> Answer | None:
        retry_after = self.faults.too_many()
        if retry_after is not None:
            return _error(429, "Too many requests", (("Retry-After", str(retry_after)),))
        key = headers.get("X-Mitto-API-Key") or ""
        if not key or (config.api_key is not None and not hmac.compare_digest(key.encode(), config.api_key.encode())):
            return _error(401, "Invalid API key")
        if self.faults.happens(config.fail_5xx_share):
            return _error(503, "Service unavailable (simulated)")
        return None

    def bulk(self, payload: Any) -> Answer:
        items = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            return _error(400, "messages must be a non-empty array")
        if len(items) > MAX_ITEMS:
            return _error(400, f"at most {MAX_ITEMS} messages per request, got {len(items)}")
        answers = self._accept(items)
        if isinstance(answers, Answer):
            return answers
        return Answer(200, _bulk_answer(str(uuid.uuid4()), answers))

    def single(self, payload: Any) -> Answer:
        if not isinstance(payload, dict):
            return _error(400, "the body must be a JSON object")
        answers = self._accept([payload])
        if isinstance(answers, Answer):
            return answers
        account, message_id, error, _ = answers[0]
        outcome = {"messageId": message_id} if error is None else {"error": error}
        return _json(200, {"messages": [{"trafficAccountId": account, **outcome}]})

    def lookup(self, message_id: str, payload: Any) -> Answer:
        found = self.store.lookup(message_id)
        return _error(404, "Message not found") if found is None else _json(200, found)

    def _accept(self, items: list) -> list[tuple] | Answer:
        """(trafficAccountId, messageId, error, reference) per message in order, the accepted ones recorded;
        a 400 for the first malformed message, with nothing recorded.

        One tight loop: it runs for every message at 100,000+ messages a second.
        """
        reject_prefix, intern = self.config.reject_prefix, self.store.interned.setdefault
        columns = destinations, texts, senders, accounts, references = [], [], [], [], []
        rows = []
        for index, item in enumerate(items):
            try:
                sms = item["sms"]
                account, destination, reference = item["trafficAccountId"], item["destination"], item.get("reference")
                text, sender = sms["text"], sms["sender"]
            except (KeyError, TypeError, AttributeError):
                return _bad_item(index)
            if not (type(account) is str and account and type(destination) is str and type(text) is str and text
                    and type(sender) is str and (reference is None or type(reference) is str)):
                return _bad_item(index)
            if reject_prefix and destination.startswith(reject_prefix):
                reason = INVALID_DESTINATION
            else:
                reason = destination_error(destination) or sender_error(sender)
            rows.append((account, reason, reference))
            if reason is None:
                destinations.append(destination)
                texts.append(text)
                senders.append(intern(sender, sender))
                accounts.append(intern(account, account))
                references.append(reference)
        ids = iter(self._record(columns) if destinations else ())
        return [(account, None if reason else next(ids), reason, reference) for account, reason, reference in rows]

    def _record(self, columns: tuple[list, ...]) -> list[str]:
        chunk, ids = self.store.add(*columns)
        config = self.config
        if config.dlr_url:
            self.reports.enqueue(chunk, config.dlr_delay_ms)
        return ids

    def _admin(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Answer:
        try:
            return self._admin_answer(method, path, query, body)
        except ValueError as exc:
            return _error(400, str(exc))

    def _admin_answer(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Answer:
        if (method, path) == ("GET", "/_sim/stats"):
            return _json(200, self.stats())
        if (method, path) == ("GET", "/_sim/messages"):
            offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["10000"])[0])
            messages = self.store.accepted(offset=offset, limit=limit)
            return _json(200, {"total": self.store.accepted_count(), "messages": [asdict(m) for m in messages]})
        if (method, path) == ("GET", "/_sim/requests"):
            return _json(200, [asdict(record) for record in self.store.requests()])
        if (method, path) == ("GET", "/_sim/config"):
            return _json(200, self.config.as_dict())
        if (method, path) == ("POST", "/_sim/config"):
            payload, error = _parse(body)
            if error or not isinstance(payload, dict):
                raise ValueError(error or "the body must be a JSON object")
            return _json(200, self.configure(payload).as_dict())
        if (method, path) == ("POST", "/_sim/reset"):
            self.reset()
            return _json(200, {"reset": True})
        if (method, path) == ("POST", "/_sim/flush"):
            try:
                return _json(200, {"reported": self.reports.flush()})
            except ReportPostFailed as exc:
                return _error(502, str(exc))
        return _error(404, "Not found")


def _route(app: SimulatorApp, method: str, path: str):
    """The endpoint for an API path (bound to its arguments), or the 404/405 answer."""
    lowered = path.lower()
    if not lowered.startswith(API_PREFIX) or len(lowered) == len(API_PREFIX):
        return _error(404, "Not found")
    name = path[len(API_PREFIX):]
    if name.lower() in ("sendmessagesbulk", "send"):
        endpoint = app.bulk if name.lower() == "sendmessagesbulk" else app.single
        return endpoint if method == "POST" else _error(405, "Method not allowed")
    if "/" in name:
        return _error(404, "Not found")
    return functools.partial(app.lookup, name) if method == "GET" else _error(405, "Method not allowed")


def _bad_item(index: int) -> Answer:
    return _error(400, f"message {index}: trafficAccountId, destination, sms.text and sms.sender must be "
                       "non-empty strings, reference a string when present")


def _describe(payload: Any) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """The distinct traffic accounts and senders of a request's items, and how many items it has."""
    if not isinstance(payload, dict):
        return (), (), 0
    items = payload["messages"] if isinstance(payload.get("messages"), list) else [payload]
    try:  # the usual, well-formed case, at C speed
        accounts = set(map(_ACCOUNT, items))
        senders = set(map(_SENDER, map(_SMS, items)))
    except (KeyError, TypeError, AttributeError):
        accounts = {item.get("trafficAccountId") for item in items if isinstance(item, dict)}
        smses = (item.get("sms") for item in items if isinstance(item, dict))
        senders = {sms.get("sender") for sms in smses if isinstance(sms, dict)}
    return _distinct(accounts), _distinct(senders), len(items)


def _distinct(values: set) -> tuple[str, ...]:
    return tuple(sorted(str(value) for value in values if value is not None))


def _bulk_answer(bulk_id: str, answers: list[tuple]) -> bytes:
    """The bulk answer's JSON, written directly (3x faster than json.dumps of dicts); strings escaped by json."""
    escaped: dict[str, str] = {}
    items = []
    for account, message_id, error, reference in answers:
        account_json = escaped.get(account) or escaped.setdefault(account, encode_basestring(account))
        outcome = f'"messageId":"{message_id}"' if error is None else f'"error":{encode_basestring(error)}'
        echo = "" if reference is None else f',"reference":{encode_basestring(reference)}'
        items.append(f'{{"trafficAccountId":{account_json},{outcome}{echo}}}')
    return f'{{"bulkId":"{bulk_id}","messages":[{",".join(items)}]}}'.encode()


def _parse(body: bytes) -> tuple[Any, str | None]:
    try:
        return orjson.loads(body), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"the body is not valid JSON: {exc}"


def _json(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), headers)


def _error(status: int, description: str, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return _json(status, {"description": description}, headers)
