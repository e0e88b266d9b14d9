"""Fixtures of the send path's end-to-end tests: a real Celery worker process and the Mitto simulator."""

import pytest

from campaigns.management.worker_process import CeleryBeat, CeleryWorker


@pytest.fixture
def no_dispatch(monkeypatch):
    """Batches are run by the test itself, not dispatched after commit."""
    monkeypatch.setattr("campaigns.services.sending.dispatch.batches_dispatch_on_commit", lambda *, campaign_id: None)


@pytest.fixture
def broker_tasks():
    """Tasks sent by this process go through the broker to a worker instead of running in-process."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def start_worker(transactional_db, broker_tasks):
    """Start a `celery -A config worker` subprocess on this run's database, Redis prefix and queues:
    `worker = start_worker(MITTO_API_BASE=sim.base_url, ...)` (keyword arguments are environment variables).
    Every worker started is stopped at the end of the test (`worker.kill()` simulates a crash)."""
    workers = []

    def start(*, concurrency: int = 2, **env: str) -> CeleryWorker:
        worker = CeleryWorker(concurrency=concurrency, **env)
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
def mitto_simulator(settings):
    """A started Mitto simulator accepting this run's API key; pass options to `.configure(...)`."""
    from messaging.simulator import MittoSimulator

    with MittoSimulator(api_key=settings.MITTO_API_KEY) as simulator:
        settings.MITTO_API_BASE = simulator.base_url
        yield simulator


def _point_celery_at(url: str | None) -> None:
    """This process's Celery app publishes to `url` from now on: the broker URL changed, and every kombu
    connection and producer pool of the process closed and forgotten (kombu keeps them in a registry by
    URL; a closed one left there would be handed out again), so they are made again on next use."""
    import kombu.pools

    from config.celery import app

    app.conf.broker_url = url
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis(settings):
    """A private `redis-server` (campaigns.management.redis_process) that this process and every worker
    started after it use as broker, limiter, cache and lock store; `.restart()` loses all of it. The
    settings and the Celery app's broker are put back afterwards. Request it before `start_worker`, so the
    workers are stopped before the server."""
    from campaigns.management.redis_process import RedisServer
    from config.broker import marker_key
    from config.celery import app
    from messaging import ratelimit

    server = RedisServer().start()
    previous = app.conf.broker_url
    settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": server.url}}
    _point_celery_at(server.url)
    ratelimit.reset()  # a new server holds no windows: no quiet period before the first request
    server.client().set(marker_key(), 1)  # and has lost no message (config.broker)
    try:
        yield server
    finally:
        _point_celery_at(previous)
        server.close()
