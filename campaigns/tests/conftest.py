"""Fixtures of the send path's end-to-end tests: a real Celery worker process and the Mitto simulator."""

import pytest

from campaigns.management.worker_process import CeleryWorker


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
def mitto_simulator(settings):
    """A started Mitto simulator accepting this run's API key; pass options to `.configure(...)`."""
    from messaging.simulator import MittoSimulator

    with MittoSimulator(api_key=settings.MITTO_API_KEY) as simulator:
        settings.MITTO_API_BASE = simulator.base_url
        yield simulator
