"""Webhook delivery as Shopify does it: JSON bodies signed with the app secret (base64 HMAC-SHA256 of the raw
body), the `X-Shopify-*` headers, retries of a non-2xx answer with growing pauses, and on request duplicates
(same webhook id), reordering and wrongly signed deliveries. A background thread delivers what is due;
`flush()` delivers everything now."""

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from shopify.simulator.config import SimulatorConfig
from shopify.webhooks import sign_body

logger = logging.getLogger("shopify.simulator")
POST_TIMEOUT_S = 5.0
MAX_RETRY_PAUSE_S = 30.0


@dataclass(slots=True)
class Pending:
    url: str
    topic: str
    shop: str
    webhook_id: str
    event_id: str
    triggered_at: str
    body: bytes
    due: float
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One delivery attempt: what was posted where, whether it was signed right, and the answer (None: no answer)."""

    at: float
    url: str
    topic: str
    shop: str
    webhook_id: str
    attempt: int
    signed_ok: bool
    status: int | None
    body: bytes = field(repr=False)


class WebhookDispatcher:
    def __init__(self, config: Callable[[], SimulatorConfig], rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        self._queue: list[Pending] = []
        self._cond = threading.Condition()
        self._post_lock = threading.Lock()
        self._session = requests.Session()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.records: list[DeliveryRecord] = []
        self.undeliverable = 0
        self.given_up = 0

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="shopify-sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._session.close()

    def clear(self) -> None:
        with self._cond:
            self._queue.clear()
            self.records = []
            self.undeliverable = self.given_up = 0

    def emit(self, *, shop: str, topic: str, payload: dict, urls: list[str]) -> str:
        """Queue one event for each URL; its webhook id (one per URL delivery, shared by its retries)."""
        config = self._config()
        targets = [config.webhook_url] if config.webhook_url else urls
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        event_id, now = str(uuid.uuid4()), time.time()
        triggered = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
        webhook_id = ""
        with self._cond:
            if not targets:
                self.undeliverable += 1
            for url in targets:
                webhook_id = str(uuid.uuid4())
                self._queue.append(Pending(url, topic, shop, webhook_id, event_id, triggered, body, time.monotonic()))
            self._cond.notify()
        return webhook_id

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def flush(self) -> int:
        """Deliver every queued webhook now, retries included, until each is taken or given up; deliveries taken."""
        taken = 0
        while batch := self._take(force=True):
            taken += self._deliver(batch)
        return taken

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._due():
                    self._cond.wait(timeout=self._wait_s())
                if self._stopping:
                    return
            batch = self._take(force=False)
            if batch:
                self._deliver(batch)

    def _due(self) -> bool:
        if self._config().webhook_hold:
            return False
        now = time.monotonic()
        return any(item.due <= now for item in self._queue)

    def _wait_s(self) -> float | None:
        if not self._queue or self._config().webhook_hold:
            return 0.5 if self._queue else None
        return max(0.0, min(item.due for item in self._queue) - time.monotonic())

    def _take(self, force: bool) -> list[Pending]:
        now = time.monotonic()
        with self._cond:
            batch = [item for item in self._queue if force or item.due <= now]
            self._queue = [item for item in self._queue if not (force or item.due <= now)]
        if self._config().webhook_reorder:
            self._rng.shuffle(batch)
        return batch

    def _deliver(self, batch: list[Pending]) -> int:
        config, taken, retry = self._config(), 0, []
        with self._post_lock:
            for item in batch:
                item.attempt += 1
                copies = 2 if config.webhook_duplicates else 1
                ok = [self._post(item, config) for _ in range(copies)]
                if any(ok):
                    taken += 1
                elif item.attempt < config.webhook_attempts:
                    pause = config.webhook_retry_ms / 1000 * 2 ** (item.attempt - 1)
                    item.due = time.monotonic() + min(MAX_RETRY_PAUSE_S, pause)
                    retry.append(item)
                else:
                    self.given_up += 1
                    logger.info("Gave up delivering %s %s to %s", item.topic, item.webhook_id, item.url)
        if retry:
            with self._cond:
                self._queue.extend(retry)
                self._cond.notify()
        return taken

    def _post(self, item: Pending, config: SimulatorConfig) -> bool:
        signed_ok = not (config.webhook_bad_hmac_share and self._rng.random() < config.webhook_bad_hmac_share)
        secret = config.api_secret if signed_ok else config.api_secret + "-wrong"
        headers = {
            "Content-Type": "application/json", "X-Shopify-Topic": item.topic, "X-Shopify-Shop-Domain": item.shop,
            "X-Shopify-API-Version": config.api_version, "X-Shopify-Webhook-Id": item.webhook_id,
            "X-Shopify-Event-Id": item.event_id, "X-Shopify-Triggered-At": item.triggered_at,
            "X-Shopify-Hmac-Sha256": sign_body(item.body, secret),
        }
        try:
            status = self._session.post(item.url, data=item.body, headers=headers, timeout=POST_TIMEOUT_S,
                                        allow_redirects=False).status_code
        except requests.RequestException:
            status = None
        with self._cond:
            self.records.append(DeliveryRecord(time.time(), item.url, item.topic, item.shop, item.webhook_id,
                                               item.attempt, signed_ok, status, item.body))
        return status is not None and 200 <= status < 300 and signed_ok
