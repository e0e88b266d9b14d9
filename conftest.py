"""Fixtures every app's tests share: an API client acting as a shop, and clean Redis state per test; and the
`system` marker on every test of a `system` test folder."""

from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from config.broker import marker_key
from messaging import ratelimit


def pytest_collection_modifyitems(items):
    """Tests under a `system` folder of a test tree (real processes, restarts, a browser, a live server) are
    marked `system`."""
    for item in items:
        parts = Path(str(item.path)).parts
        if "tests" in parts and "system" in parts[parts.index("tests"):]:
            item.add_marker(pytest.mark.system)


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
    from campaigns.tests.support.factories import ShopFactory

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
