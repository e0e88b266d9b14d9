"""Fixtures of the send-path tests."""

import pytest

from campaigns.services.sending import dispatch
from config.celery import app


@pytest.fixture
def published(monkeypatch):
    """Tasks go to a (recorded) broker instead of running in-process: the batch ids published, in order."""
    sent = []
    monkeypatch.setattr(dispatch, "_publish", sent.extend)
    app.conf.task_always_eager = False
    yield sent
    app.conf.task_always_eager = True


@pytest.fixture
def no_sleep(monkeypatch):
    """In-process retries wait without sleeping; the waits asked for are recorded."""
    waits = []
    monkeypatch.setattr("campaigns.services.sending.retry.time.sleep", waits.append)
    return waits
