"""Redis restarted without persistence in the middle of a send: a private redis-server (never the machine's
shared one) is shut down with SHUTDOWN NOSAVE while bulk requests are at the simulator and further batches
wait in the broker, stays down a second, and comes back empty on the same port. Every broker message,
unacknowledged delivery and rate-limiter window is gone.

What must hold: the worker reconnects by itself; a batch that could not be published during the outage, and
what the broker lost, are recovered by beat's next run from the database; no destination is messaged twice;
counters equal the rows and the ledger balances; and the rate limits hold across the restart, although the
limiter's record of the requests just before it was lost."""

from collections import defaultdict

import pytest

from campaigns.models import Batch, Campaign
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.scheduling import batches_recover
from campaigns.tests.support.reliability_helpers import (
    UNFINISHED,
    assert_review_or_final,
    batch_states,
    max_in_window,
    wait_until,
)
from campaigns.tests.support.send_helpers import add_contacts_sql, funded_shop, ledger_matches, sending_campaign

PER_SHOP, BATCH = 150, 25  # 6 batches a shop: a window of 4 dispatched at once, 2 left to follow
# A window longer than the outage plus the worker's reconnection (about 2 s), so the requests sent before the
# restart and the first ones after it fall in one window: forgetting the first would let the limit double.
TENANT_MAX, ACCOUNT_MAX, WINDOW_S = 3, 4, 5.0
JITTER_S = 0.15  # grant-to-arrival jitter, as in test_ratelimit


def lost_batches():
    """Queued batches whose broker message is gone: dispatched, and neither running nor waiting to retry."""
    return Batch.objects.filter(status=Batch.Status.QUEUED, dispatched_at__isnull=False)


def enqueue_two_shops() -> list[tuple]:
    shops = []
    for number, sender in enumerate(["ShopOne", "ShopTwo"]):
        shop = funded_shop(PER_SHOP, sender=sender)
        add_contacts_sql(shop, PER_SHOP, start=number * PER_SHOP)
        campaign = sending_campaign(shop, body="Sale")
        campaign_enqueue(shop=shop, campaign_id=campaign.id)
        shops.append((shop, campaign))
    return shops


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_redis_restarted_mid_send_loses_nothing_and_keeps_the_limits(
    settings, private_redis, mitto_simulator, start_worker
):
    settings.SMS_BATCH_SIZE = BATCH
    mitto_simulator.configure(delay_ms=300)
    worker = start_worker(
        concurrency=4,
        MITTO_API_BASE=mitto_simulator.base_url,
        SEND_RETRY_BASE_DELAY_S="0.2",
        RATE_LIMIT_TENANT_MAX=str(TENANT_MAX),
        RATE_LIMIT_TENANT_WINDOW_MS=str(int(WINDOW_S * 1000)),
        RATE_LIMIT_TRAFFIC_ACCOUNT_MAX=str(ACCOUNT_MAX),
        RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS=str(int(WINDOW_S * 1000)),
    )
    shops = enqueue_two_shops()
    # The account's window is full: these requests are at the simulator or answered, the rest of both
    # campaigns' windows (4 batches each) wait in the broker for the limiter, and 4 batches are not dispatched.
    wait_until(lambda: len(mitto_simulator.requests()) >= ACCOUNT_MAX, what="a full window", worker=worker)
    private_redis.restart(down_s=1.0)

    wait_until(lambda: worker.output().count("Connected to redis") >= 2, what="the worker reconnecting",
               worker=worker)
    assert worker.process.poll() is None  # the worker survived the outage
    wait_until(lambda: not Batch.objects.filter(status=Batch.Status.SUBMITTING).exists(),
               what="the answers in flight applied", worker=worker)
    lost = dict(lost_batches().values_list("id", "dispatched_at"))
    assert lost, batch_states()  # their broker messages went with the restart: nothing runs them

    # Beat's next run, with the production deadlines (nothing is stale yet): it finds the broker emptied and
    # takes every one of them back (re-dispatched now, or undispatched until the window has room).
    recovered = batches_recover()
    assert recovered["redispatched"] >= 1, (recovered, batch_states())
    still_queued = Batch.objects.filter(id__in=lost, status=Batch.Status.QUEUED)
    assert all(at != lost[batch_id] for batch_id, at in still_queued.values_list("id", "dispatched_at"))
    wait_until(lambda: batches_recover() and not Batch.objects.filter(status__in=UNFINISHED).exists(),
               what="every batch sent after recovery", worker=worker, timeout_s=60)

    counts = mitto_simulator.destination_counts()
    assert set(counts.values()) == {1} and len(counts) == 2 * PER_SHOP
    assert all(attempts <= settings.QUEUE_ATTEMPTS for _, _, attempts in batch_states())
    for shop, campaign in shops:
        assert_review_or_final(campaign)
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.COMPLETED
        assert ledger_matches(shop) and shop.credits_held == 0

    requests = [r for r in mitto_simulator.requests() if r.method == "POST"]
    by_shop = defaultdict(list)
    for request in requests:
        by_shop[request.senders].append(request.at)
    window = WINDOW_S - JITTER_S
    assert max_in_window([r.at for r in requests], window) <= ACCOUNT_MAX, [r.at for r in requests]
    assert all(max_in_window(times, window) <= TENANT_MAX for times in by_shop.values()), by_shop
    assert max_in_window([r.at for r in requests], 2 * WINDOW_S) >= ACCOUNT_MAX  # the limit was really pressed
