"""A process's outbox: items handed over by request threads without waiting, sent in batches by one background
thread (started on first use, again after a fork), so a request never waits on the destination and the
destination sees one call per batch instead of one per item.

A batch leaves when it holds `batch` items or `wait_s` after its first item, whichever comes first; what is
still inside at a normal exit is sent then (atexit). An abrupt kill loses at most that window's items.
"""

import atexit
import logging
import os
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Outbox:
    def __init__(self, send: Callable[[list], None], *, batch: int, wait_s: float) -> None:
        self._send = send
        self._batch = batch
        self._wait_s = wait_s
        self._cond = threading.Condition()
        self._items: list = []
        self._sending = 0
        self._pid = 0
        atexit.register(self.drain)

    def put(self, item) -> None:
        """Hand `item` over; returns at once."""
        with self._cond:
            if self._pid != os.getpid():  # first use in this process (or a forked child): its own thread
                self._items, self._sending, self._pid = [], 0, os.getpid()
                threading.Thread(target=self._run, name="outbox", daemon=True).start()
            self._items.append(item)
            if len(self._items) in (1, self._batch):
                self._cond.notify_all()

    def _take(self) -> list:
        items, self._items = self._items[:self._batch], self._items[self._batch:]
        self._sending += 1 if items else 0
        return items

    def _sent(self, items: list) -> None:
        try:
            if items:
                self._send(items)
        except Exception:  # the sender handles its own failures; a bug there must not stop the thread
            logger.exception("outbox: a batch of %d could not be sent", len(items))
        finally:
            with self._cond:
                self._sending -= 1 if items else 0
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items:
                    self._cond.wait()
                if len(self._items) < self._batch:
                    self._cond.wait(timeout=self._wait_s)
                items = self._take()
            self._sent(items)

    def drain(self) -> None:
        """Send what is inside now, from this thread, and wait for the batches the background thread is sending."""
        while True:
            with self._cond:
                items = self._take() if self._pid == os.getpid() else []
            if not items:
                break
            self._sent(items)
        with self._cond:
            while self._sending:
                self._cond.wait()
