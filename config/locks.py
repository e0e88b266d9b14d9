"""A lock shared by every process of the deployment (Redis-backed cache), so periodic work never overlaps."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache


@contextmanager
def single_instance(name: str, *, ttl_s: int = 300) -> Iterator[bool]:
    """Yield True when this process holds the lock `name`, False when another one does.

    The lock expires after `ttl_s` so a killed holder never blocks the work for good; it is released
    only by the holder that took it.
    """
    key = f"{settings.SMS_KEY_PREFIX}:lock:{name}"
    token = uuid.uuid4().hex
    acquired = cache.add(key, token, timeout=ttl_s)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)
