import pytest


@pytest.fixture(autouse=True)
def empty_click_stream():
    """Each test starts and ends with this run's click stream empty (the database is rolled back; Redis is not)."""
    import redis
    from django.conf import settings

    from campaigns.services.links.clicks import clicks_outbox_drain, stream_key

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(stream_key())
    yield
    clicks_outbox_drain()  # the redirect's clicks still in this process's outbox land now, not in a later test
    client.delete(stream_key())
    client.close()


@pytest.fixture(autouse=True)
def no_cached_targets():
    """Each test starts with the redirect's per-process cache empty (targets of earlier tests' campaigns)."""
    from campaigns.services.links.targets import targets_cache_clear

    targets_cache_clear()
    yield
    targets_cache_clear()
