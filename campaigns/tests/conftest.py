"""Fixtures of the campaigns tests: the one dispatch seam, tasks through a broker, the Mitto simulator. The system
tests' real processes (worker, beat, a private Redis) are in system/conftest.py."""

import pytest


@pytest.fixture
def no_dispatch(monkeypatch):
    """Batches are run by the test itself, not dispatched after commit: the one seam every writer dispatches
    through (campaigns.services.sending.dispatch)."""
    monkeypatch.setattr("campaigns.services.sending.dispatch.batches_dispatch_on_commit", lambda *, campaign_id: None)


@pytest.fixture
def broker_tasks():
    """Tasks sent by this process go through the broker to a worker instead of running in-process."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def mitto_simulator(settings):
    """A started Mitto simulator accepting this run's API key; pass options to `.configure(...)`."""
    from messaging.simulator import MittoSimulator

    with MittoSimulator(api_key=settings.MITTO_API_KEY) as simulator:
        settings.MITTO_API_BASE = simulator.base_url
        yield simulator
