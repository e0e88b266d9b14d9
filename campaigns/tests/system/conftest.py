"""Fixtures of the system tests: real `celery worker` and `celery beat` processes on this run's database, Redis
prefix and queues, and a private `redis-server` to restart. Every test here carries the `system` marker
(conftest.py at the root), so `pytest -m "not system"` runs the fast part alone."""

import pytest

from campaigns.tests.support.celery_processes import CeleryBeat, CeleryWorker, point_celery_at


@pytest.fixture
def start_worker(transactional_db, broker_tasks):
    """Start a `celery -A config worker` subprocess on this run's database, Redis prefix and queues:
    `worker = start_worker(MITTO_API_BASE=sim.base_url, ...)` (keyword arguments are environment variables).
    Every worker started is stopped at the end of the test (`worker.kill()` simulates a crash)."""
    workers = []

    def start(*, concurrency: int = 2, queues: tuple[str, ...] | None = None, **env: str) -> CeleryWorker:
        worker = CeleryWorker(concurrency=concurrency, queues=queues, **env)
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def start_beat(transactional_db):
    """Start a `celery -A config beat` subprocess sending this run's periodic tasks (to the periodic queue,
    which `start_worker`'s workers consume): `beat = start_beat(BEAT_INTERVAL_SCALE="0.1")`. Every beat
    started is stopped at the end of the test (`beat.kill()` simulates a crash)."""
    beats = []

    def start(**env: str) -> CeleryBeat:
        beat = CeleryBeat(**env)
        beats.append(beat)
        return beat.start()

    yield start
    for beat in beats:
        beat.stop()


@pytest.fixture
def private_redis(settings):
    """A private `redis-server` (campaigns.tests.support.redis_server) that this process and every worker
    started after it use as broker, limiter, cache and lock store; `.restart()` loses all of it. The
    settings and the Celery app's broker are put back afterwards. Request it before `start_worker`, so the
    workers are stopped before the server."""
    from campaigns.tests.support.redis_server import RedisServer
    from config.broker import marker_key
    from config.celery import app
    from messaging import ratelimit

    server = RedisServer().start()
    previous = app.conf.broker_url
    settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": server.url}}
    point_celery_at(server.url)
    ratelimit.reset()  # a new server holds no windows: no quiet period before the first request
    server.client().set(marker_key(), 1)  # and has lost no message (config.broker)
    try:
        yield server
    finally:
        point_celery_at(previous)
        server.close()
