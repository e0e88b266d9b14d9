"""The simulator's own rate limit and its injected faults."""

import math
import random
import threading
import time


class TokenBucket:
    """`rate` requests per second with bursts of up to `rate` at once."""

    def __init__(self, rate: float) -> None:
        self._lock = threading.Lock()
        self.configure(rate)

    def configure(self, rate: float) -> None:
        with self._lock:
            self._rate = rate
            self._capacity = max(1.0, rate)
            self._tokens = self._capacity
            self._at = time.monotonic()

    def take(self) -> float | None:
        """None when a request may pass (one token taken), else the seconds until one may."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / self._rate


class Faults:
    """Decides, request by request, which fault (if any) the simulator answers with."""

    def __init__(self, rng: random.Random, rate: float, burst_429: int) -> None:
        self._rng = rng
        self._lock = threading.Lock()
        self.bucket = TokenBucket(rate)
        self.burst_left = burst_429

    def arm_burst(self, count: int) -> None:
        with self._lock:
            self.burst_left = count

    def too_many(self) -> int | None:
        """Retry-After seconds when this request is to be answered 429 (a burst, or over the rate), else None."""
        with self._lock:
            if self.burst_left > 0:
                self.burst_left -= 1
                return 1
        wait = self.bucket.take()
        return None if wait is None else max(1, math.ceil(wait))

    def happens(self, share: float) -> bool:
        return share > 0 and self._rng.random() < share
