"""Provider request rate limits: per traffic account and per shop (tenant), taken together atomically.

Each limit is a sliding log: in ANY window of `window` length at most `max` requests are allowed. A request
is allowed only when every limit has room, and then it is counted in every limit; when one is full, it is
counted in none, so a refusal never uses up another limit's room.

Backends:
- Redis (settings.REDIS_URL set): one sorted set per limit key, scored by the Redis server's clock (`TIME`
  inside the script, so every worker on every machine shares one clock), checked and updated by one Lua
  script, so concurrent workers never overshoot. Both keys must live on one node (no Redis Cluster split).
  A Redis that restarts without persistence (or is flushed, or evicts) forgets the requests it just granted,
  and the windows would start empty while those requests are still in them. So the script keeps a guard key
  (`<prefix>:rl:guard`, no expiry): where it is missing, the limiter grants nothing for one longest window
  (a new Redis pauses sending that long once). `reset()` empties the windows deliberately and sets the guard.
- In-process (REDIS_URL unset, the embedded default): a lock and a deque per key. Single process only:
  two processes each allow the full rate.
"""

import os
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import redis
from django.conf import settings

from config.observability.metrics import observe_limiter_wait


@dataclass(frozen=True, slots=True)
class Decision:
    """`retry_after_s` is 0 when allowed, else the wait until every full limit has a free slot.

    `at_us` is the clock reading the decision was taken at, in µs (Redis server time, or this process's
    monotonic clock for the in-process backend).
    """

    allowed: bool
    retry_after_s: float
    at_us: int


class Limit(NamedTuple):
    key: str
    max: int
    window_us: int


class Backend(Protocol):
    def take(self, limits: tuple[Limit, ...], *, guard: str) -> Decision: ...

    def reset(self, prefix: str) -> None: ...


# KEYS: one sorted set per limit, then the guard; ARGV: max and window (µs) per limit, then a token unique to
# this call. Refusal writes nothing but the trim of entries that have left their window (and a missing guard).
_TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limits = #KEYS - 1
local quiet_until = redis.call('GET', KEYS[#KEYS])
if not quiet_until then
  local longest = 0
  for i = 1, limits do
    longest = math.max(longest, tonumber(ARGV[2 * i]))
  end
  quiet_until = now + longest
  redis.call('SET', KEYS[#KEYS], string.format('%.0f', quiet_until))
end
quiet_until = tonumber(quiet_until)
if now < quiet_until then
  return {0, quiet_until - now, now}
end
local wait = 0
for i = 1, limits do
  local key = KEYS[i]
  local max = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= max then
    local oldest = redis.call('ZRANGE', key, count - max, count - max, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now, 1)
  end
end
if wait > 0 then
  return {0, wait, now}
end
for i = 1, limits do
  redis.call('ZADD', KEYS[i], now, ARGV[#ARGV])
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i]) / 1000))
end
return {1, 0, now}
"""


class RedisBackend:
    """The limiter over Redis; safe to share between threads (redis-py pools its connections)."""

    def __init__(self, url: str):
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._take = self._client.register_script(_TAKE_SCRIPT)

    def take(self, limits: tuple[Limit, ...], *, guard: str) -> Decision:
        """`guard`: the key whose absence means this Redis lost its windows (see the module docstring)."""
        args: list[int | str] = []
        for limit in limits:
            args += [limit.max, limit.window_us]
        keys = [*(limit.key for limit in limits), guard]
        allowed, wait_us, now_us = self._take(keys=keys, args=[*args, uuid.uuid4().hex])
        return Decision(allowed=bool(allowed), retry_after_s=int(wait_us) / 1e6, at_us=int(now_us))

    def reset(self, prefix: str) -> None:
        keys = list(self._client.scan_iter(f"{prefix}:rl:*", count=1000))
        if keys:
            self._client.delete(*keys)
        self._client.set(guard_key(prefix), 0)


class MemoryBackend:
    """The same sliding logs in this process's memory. Single process only (see the module docstring)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._logs: dict[str, deque[int]] = {}

    def take(self, limits: tuple[Limit, ...], *, guard: str = "") -> Decision:
        with self._lock:
            now = time.monotonic_ns() // 1000
            wait = 0
            for limit in limits:
                log = self._logs.setdefault(limit.key, deque())
                while log and log[0] <= now - limit.window_us:
                    log.popleft()
                if len(log) >= limit.max:
                    wait = max(wait, log[len(log) - limit.max] + limit.window_us - now, 1)
            if wait:
                return Decision(allowed=False, retry_after_s=wait / 1e6, at_us=now)
            for limit in limits:
                self._logs[limit.key].append(now)
            return Decision(allowed=True, retry_after_s=0.0, at_us=now)

    def reset(self, prefix: str) -> None:
        with self._lock:
            for key in [key for key in self._logs if key.startswith(f"{prefix}:rl:")]:
                del self._logs[key]


_memory = MemoryBackend()
_redis_backends: dict[tuple[str, int], RedisBackend] = {}
_redis_lock = threading.Lock()


def limiter_for_settings() -> Backend:
    """The backend settings.REDIS_URL asks for: one Redis client per process and URL, made on first use."""
    url = settings.REDIS_URL
    if not url:
        return _memory
    key = (url, os.getpid())
    backend = _redis_backends.get(key)
    if backend is None:
        with _redis_lock:
            backend = _redis_backends.get(key) or _redis_backends.setdefault(key, RedisBackend(url))
    return backend


def guard_key(prefix: str) -> str:
    return f"{prefix}:rl:guard"


def limits_for(*, tenant: str, traffic_account: str) -> tuple[Limit, Limit]:
    """The traffic account's and the tenant's limits as configured in settings."""
    prefix = settings.SMS_KEY_PREFIX
    return (
        Limit(
            f"{prefix}:rl:account:{traffic_account}",
            settings.RATE_LIMIT_TRAFFIC_ACCOUNT_MAX,
            settings.RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS * 1000,
        ),
        Limit(
            f"{prefix}:rl:tenant:{tenant}",
            settings.RATE_LIMIT_TENANT_MAX,
            settings.RATE_LIMIT_TENANT_WINDOW_MS * 1000,
        ),
    )


def acquire(*, tenant: str, traffic_account: str) -> Decision:
    """Take one request from both the traffic account's and the tenant's limit, or from neither.

    Allowed only when both have room in their current window; a refusal consumes nothing and says how long
    until both have room (counted in `shopsms_limiter_waits`). Redis errors propagate (redis.RedisError)
    for the caller to retry.
    """
    limits = limits_for(tenant=tenant, traffic_account=traffic_account)
    decision = limiter_for_settings().take(limits, guard=guard_key(settings.SMS_KEY_PREFIX))
    if not decision.allowed:
        observe_limiter_wait(decision.retry_after_s)
    return decision


def reset() -> None:
    """Forget every window under settings.SMS_KEY_PREFIX in the configured backend (for tests and ops). On
    Redis the guard is set too: windows emptied on purpose need no quiet period."""
    limiter_for_settings().reset(settings.SMS_KEY_PREFIX)
