"""Redis unreachable or emptied (restarting) under the send path, on a real refused connection: a publish
that fails leaves its batches for beat instead of failing the caller; a limiter that cannot be asked is a
wait, never a send without a token and never a failed batch; beat re-dispatches at once what a broker that
lost its data held. (system/test_redis_restart.py restarts a real server.)"""

import pytest
import redis
import responses
from celery.exceptions import Reject
from django.utils import timezone

from campaigns.models import Batch
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.scheduling import batches_recover
from campaigns.tasks import send_batch
from campaigns.tests.support.celery_processes import point_celery_at
from campaigns.tests.support.redis_server import free_port
from campaigns.tests.support.send_helpers import add_contacts, funded_shop, sending_campaign
from config.broker import marker_key
from config.celery import app
from messaging import ratelimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_broker(broker_tasks):
    """This process's tasks go to a broker that refuses connections (nothing listens on the port)."""
    previous = app.conf.broker_url
    point_celery_at(f"redis://127.0.0.1:{free_port()}/0")
    yield
    point_celery_at(previous)


def enqueued(contacts: int):
    shop = funded_shop(1000)
    add_contacts(shop, contacts)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    return shop, campaign


def dispatched(campaign) -> list[bool]:
    batches = Batch.objects.filter(campaign=campaign).order_by("number")
    return [at is not None for at in batches.values_list("dispatched_at", flat=True)]


def test_batches_whose_publish_fails_are_left_undispatched_for_beat(
    settings, unreachable_broker, django_capture_on_commit_callbacks, monkeypatch
):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 2, 2
    with django_capture_on_commit_callbacks(execute=True):  # no exception reaches the caller
        _, campaign = enqueued(5)

    assert dispatched(campaign) == [False, False, False]

    published = []
    monkeypatch.setattr(send_batch, "apply_async", lambda args, **kw: published.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_recover()["dispatched"] == 2  # beat's next run, no stale deadline waited out
    assert dispatched(campaign) == [True, True, False] and len(published) == 2


def test_a_retry_that_cannot_be_published_leaves_the_batch_for_beat(settings, unreachable_broker):
    settings.SMS_BATCH_SIZE = 5
    settings.RATE_LIMIT_TENANT_MAX, settings.RATE_LIMIT_TENANT_WINDOW_MS = 1, 60_000
    shop, campaign = enqueued(2)
    batch = Batch.objects.get(campaign=campaign)
    Batch.objects.filter(id=batch.id).update(dispatched_at=timezone.now())
    ratelimit.acquire(tenant=f"shop:{shop.id}", traffic_account=settings.MITTO_TRAFFIC_ACCOUNT_ID)

    send_batch.push_request(id="a-delivered-message", is_eager=False, called_directly=False)  # as a worker runs it
    try:
        with pytest.raises(Reject):  # the limiter says wait; the retry message cannot reach the broker
            send_batch.run(batch.id)
    finally:
        send_batch.pop_request()

    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.dispatched_at) == ("queued", 0, None)


@responses.activate
def test_a_limiter_that_cannot_reach_redis_makes_the_batch_wait_without_sending(settings, no_dispatch):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # the limiter's Redis refuses connections
    _, campaign = enqueued(2)
    batch = Batch.objects.get(campaign=campaign)

    result = batch_send(batch_id=batch.id)

    assert result.status == "waiting" and result.limiter_wait and result.retry_in_s > 0
    assert len(responses.calls) == 0  # no request without a token
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("queued", 0)  # no attempt used, nothing failed


@pytest.fixture
def published(broker_tasks, monkeypatch):
    """Tasks go to a recording broker: the batch ids published, in order."""
    sent = []
    monkeypatch.setattr(send_batch, "apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


def test_beat_dispatches_again_at_once_what_a_broker_that_lost_its_data_held(
    settings, published, django_capture_on_commit_callbacks
):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 2, 2
    with django_capture_on_commit_callbacks(execute=True):
        _, campaign = enqueued(5)
        assert batches_recover()["redispatched"] == 0  # dispatched a moment ago: not stale, the broker intact
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(marker_key())  # the broker restarted empty
        assert batches_recover()["redispatched"] == 2
        assert batches_recover()["redispatched"] == 0  # one loss is acted on once
    first, second, _ = Batch.objects.filter(campaign=campaign).order_by("number").values_list("id", flat=True)
    assert published == [first, second, first, second]


def test_beat_with_the_broker_unreachable_presumes_nothing_lost(settings, unreachable_broker):
    settings.SMS_BATCH_SIZE = 2
    _, campaign = enqueued(3)
    Batch.objects.filter(campaign=campaign).update(dispatched_at=timezone.now())

    assert batches_recover()["redispatched"] == 0
