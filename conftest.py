"""Fixtures every app's tests share: an API client acting as a shop, and clean Redis state per test."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from config.broker import marker_key
from messaging import ratelimit


@pytest.fixture(autouse=True)
def _clean_redis_and_cache():
    """Each test starts with no limiter windows or cache entries of this run's prefix."""
    if not settings.REDIS_URL:
        cache.clear()
    else:
        # Never cache.clear() on Redis: it flushes the whole database, other runs' keys included.
        # Only limiter windows, locks and cache entries: the Celery queues under the prefix stay.
        ratelimit.reset()  # the windows, and the limiter's guard set: no quiet period as after a Redis restart
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.set(marker_key(), 1)  # this run's broker has lost nothing (config.broker)
        prefix = settings.SMS_KEY_PREFIX
        for pattern in (f"{prefix}:lock:*", f"{prefix}:1:*"):
            keys = list(client.scan_iter(pattern, count=1000))
            if keys:
                client.delete(*keys)
    yield


@pytest.fixture
def shop(db):
    from campaigns.tests.factories import ShopFactory

    return ShopFactory()


@pytest.fixture
def shop_key(shop):
    from campaigns.api.auth import api_key_create

    return api_key_create(shop=shop)


@pytest.fixture
def api(shop_key):
    """An API client authenticated as `shop`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {shop_key}")
    return client


@pytest.fixture
def anon_api():
    return APIClient()
