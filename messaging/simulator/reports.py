"""Delivery reports: a background thread posting JSON arrays of reports for accepted messages to `dlr_url`.

Reports are due `dlr_delay_ms` after acceptance and are posted in arrays of up to `dlr_batch`, with the
configured delivered share, duplicates, intermediate statuses and reordering. An array the receiver does
not take (non-2xx or no connection) is posted again after a pause, so no report is lost.
"""

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlencode

import requests

from messaging.simulator.config import SimulatorConfig
from messaging.simulator.store import DELIVERED, FAILURES, Chunk, iso7

logger = logging.getLogger("messaging.simulator")
RETRY_PAUSE_S = 0.5
INTERMEDIATE = "Sent"
POST_TIMEOUT_S = 30


class ReportPostFailed(Exception):
    """The receiver did not take a report array."""


class ReportDispatcher:
    def __init__(self, config: Callable[[], SimulatorConfig], rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        self._pending: deque[list] = deque()  # [due (monotonic), chunk, first offset, end offset]
        self._pending_count = 0
        self._in_flight = 0  # messages taken off the queue whose reports the receiver has not taken yet
        self._retry: tuple[list[bytes], int] | None = None  # bodies to post again, and their message count
        self._cond = threading.Condition()
        self._post_lock = threading.Lock()
        self._session = requests.Session()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.posted = 0
        self.posts = 0
        self.post_failures = 0

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="mitto-sim-reports", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._session.close()

    def enqueue(self, chunk: Chunk, delay_ms: int) -> None:
        with self._cond:
            self._pending.append([time.monotonic() + delay_ms / 1000, chunk, 0, len(chunk)])
            self._pending_count += len(chunk)
            self._cond.notify()

    def pending(self) -> int:
        """Messages whose report has not been taken by the receiver yet."""
        with self._cond:
            return self._pending_count + self._in_flight

    def clear(self) -> None:
        with self._cond:
            self._pending.clear()
            self._pending_count = 0
            self._in_flight = 0
            self._retry = None

    def flush(self) -> int:
        """Post every pending report now, due or not; the number of messages reported. Raises ReportPostFailed."""
        with self._post_lock:
            reported = self._post_retry()
            while bodies := self._prepare(force=True):
                self._post_all(*bodies)
                reported += bodies[1]
        return reported

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._due():
                    self._cond.wait(timeout=self._wait_s())
                if self._stopping:
                    return
            try:
                with self._post_lock:
                    self._post_retry()
                    bodies = self._prepare(force=False)
                    if bodies:
                        self._post_all(*bodies)
            except ReportPostFailed as exc:
                logger.warning("Delivery reports not taken, retrying: %s", exc)
                with self._cond:
                    self._cond.wait(timeout=RETRY_PAUSE_S)

    def _due(self) -> bool:
        return self._retry is not None or bool(self._pending and self._pending[0][0] <= time.monotonic())

    def _wait_s(self) -> float | None:
        return max(0.0, self._pending[0][0] - time.monotonic()) if self._pending else None

    def _take(self, force: bool) -> list[tuple[Chunk, int, int]]:
        """Up to dlr_batch messages off the head of the queue (only due ones unless forced)."""
        room, now, taken = self._config().dlr_batch, time.monotonic(), []
        with self._cond:
            while room and self._pending and (force or self._pending[0][0] <= now):
                entry = self._pending[0]
                _, chunk, first, end = entry
                last = min(end, first + room)
                taken.append((chunk, first, last))
                room -= last - first
                self._pending_count -= last - first
                self._in_flight += last - first
                if last == end:
                    self._pending.popleft()
                else:
                    entry[2] = last
        return taken

    def _prepare(self, force: bool) -> tuple[list[bytes], int] | None:
        """The bodies to post for the next array of reports, and how many messages they report."""
        taken = self._take(force)
        if not taken:
            return None
        config = self._config()
        reports = self._reports(taken, config)
        bodies = [_encode(reports)]
        if config.dlr_duplicates:
            bodies.append(_encode(self._reordered(reports) if config.dlr_reorder else reports))
        count = sum(last - first for _, first, last in taken)
        return bodies, count

    def _reports(self, taken: list[tuple[Chunk, int, int]], config: SimulatorConfig) -> list[dict]:
        """Decide each message's outcome, record it on the message, and build its report(s)."""
        now = time.time()
        updated_at = iso7(now)
        share, rng, reports = config.dlr_delivered_share, self._rng, []
        for chunk, first, last in taken:
            for offset in range(first, last):
                code = DELIVERED if rng.random() < share else 2 + rng.randrange(len(FAILURES))
                chunk.statuses[offset] = code
                chunk.updated[offset] = now
                final = _report(chunk, offset, code, updated_at)
                if config.dlr_intermediate:
                    reports.append(dict(final, deliveryStatus=INTERMEDIATE, description="", errorCode=None))
                reports.append(final)
        return self._reordered(reports) if config.dlr_reorder else reports

    def _reordered(self, reports: list[dict]) -> list[dict]:
        """Final reports in random order, then the intermediate ones in random order."""
        finals = [report for report in reports if report["deliveryStatus"] != INTERMEDIATE]
        intermediates = [report for report in reports if report["deliveryStatus"] == INTERMEDIATE]
        self._rng.shuffle(finals)
        self._rng.shuffle(intermediates)
        return finals + intermediates

    def _post_retry(self) -> int:
        if self._retry is None:
            return 0
        bodies, count = self._retry
        self._retry = None
        self._post_all(bodies, count)
        return count

    def _post_all(self, bodies: list[bytes], count: int) -> None:
        for index, body in enumerate(bodies):
            try:
                self._post(body)
            except ReportPostFailed:
                with self._cond:
                    self._retry = (bodies[index:], count)
                raise
        with self._cond:
            self._in_flight = max(0, self._in_flight - count)
        self.posted += count

    def _post(self, body: bytes) -> None:
        config = self._config()
        if not config.dlr_url:
            raise ReportPostFailed("no dlr_url configured")
        url, headers = config.dlr_url, {"Content-Type": "application/json"}
        if config.dlr_token and config.dlr_token_mode == "header":
            headers["X-Webhook-Token"] = config.dlr_token
        elif config.dlr_token:
            url += ("&" if "?" in url else "?") + urlencode({"token": config.dlr_token})
        self.posts += 1
        try:
            response = self._session.post(url, data=body, headers=headers, timeout=POST_TIMEOUT_S)
        except requests.RequestException as exc:
            self.post_failures += 1
            raise ReportPostFailed(f"{type(exc).__name__} posting to {config.dlr_url}") from exc
        if not 200 <= response.status_code < 300:
            self.post_failures += 1
            raise ReportPostFailed(f"{config.dlr_url} answered {response.status_code}: {response.text[:200]}")


def _report(chunk: Chunk, offset: int, code: int, updated_at: str) -> dict:
    description, error_code = ("", None) if code == DELIVERED else FAILURES[code - 2]
    return {
        "messageId": chunk.message_id(offset),
        "deliveryStatus": "Delivered" if code == DELIVERED else "Failed",
        "reference": chunk.references[offset],
        "description": description,
        "errorCode": error_code,
        "updatedAt": updated_at,
    }


def _encode(reports: list[dict]) -> bytes:
    return json.dumps(reports, ensure_ascii=False, separators=(",", ":")).encode()
