"""A lock shared by every process of the deployment (Redis-backed cache), so periodic work never overlaps."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache


@contextmanager
def single_instance(name: str, *, ttl_s: int = 300) -> Iterator[bool]:
    """Yield True when this process holds the lock `name`, False when another one does.

    The lock lives `ttl_s` seconds and is renewed every third of that while its holder runs, so a long
    run keeps it but a killed holder blocks the work for at most `ttl_s`; it is released only by the
    holder that took it.
    """
    cache = caches["default"]  # this thread's backend, shared with the renewing thread (redis-py is thread-safe)
    key = f"{settings.SMS_KEY_PREFIX}:lock:{name}"
    token = uuid.uuid4().hex
    acquired = cache.add(key, token, timeout=ttl_s)
    done = threading.Event()
    keeper = threading.Thread(target=_renew, args=(cache, key, token, ttl_s, done), daemon=True, name=f"lock {name}")
    if acquired:
        keeper.start()
    try:
        yield acquired
    finally:
        if acquired:
            done.set()
            keeper.join()
            if cache.get(key) == token:
                cache.delete(key)


def _renew(cache: BaseCache, key: str, token: str, ttl_s: int, done: threading.Event) -> None:
    while not done.wait(ttl_s / 3):
        if cache.get(key) != token:
            return
        cache.touch(key, ttl_s)
