"""Rate limits under 8 concurrent worker processes: as the simulator recorded the requests' arrival,
no window holds more requests than the per-shop or the per-traffic-account maximum."""

import time
from collections import defaultdict

import pytest

from campaigns.models import Batch
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.reliability_helpers import max_in_window
from campaigns.tests.support.send_helpers import add_contacts_sql, funded_shop, sending_campaign

TENANT_MAX, ACCOUNT_MAX, WINDOW_S = 3, 4, 1.0
# The limiter stamps a request when it is granted, the simulator when it arrives. The grant comes before the
# messages are read and rendered, so on a loaded machine (8 pool processes) two arrivals may come tens of
# milliseconds closer together than their grants: the windows checked are shortened by that much.
JITTER_S = 0.15
PER_SHOP, BATCH = 60, 5


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_eight_workers_never_exceed_the_shop_and_account_limits(settings, mitto_simulator, start_worker):
    settings.SMS_BATCH_SIZE = BATCH
    settings.SEND_WINDOW_BATCHES = 8
    worker = start_worker(
        concurrency=8,
        MITTO_API_BASE=mitto_simulator.base_url,
        RATE_LIMIT_TENANT_MAX=str(TENANT_MAX),
        RATE_LIMIT_TENANT_WINDOW_MS=str(int(WINDOW_S * 1000)),
        RATE_LIMIT_TRAFFIC_ACCOUNT_MAX=str(ACCOUNT_MAX),
        RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS=str(int(WINDOW_S * 1000)),
    )
    senders = ["ShopOne", "ShopTwo"]
    for number, sender in enumerate(senders):
        shop = funded_shop(PER_SHOP, sender=sender)
        add_contacts_sql(shop, PER_SHOP, start=number * PER_SHOP)
        campaign_enqueue(shop=shop, campaign_id=sending_campaign(shop, body="Sale").id)

    deadline = time.monotonic() + 60
    while Batch.objects.exclude(status="submitted").exists():
        assert time.monotonic() < deadline, (list(Batch.objects.values_list("status", "attempts")), worker.output())
        time.sleep(0.1)

    requests = [r for r in mitto_simulator.requests() if r.method == "POST"]
    by_shop = defaultdict(list)
    for request in requests:
        by_shop[request.senders].append(request.at)
    assert sorted(by_shop) == [(sender,) for sender in senders]
    assert len(requests) == 2 * PER_SHOP // BATCH
    window = WINDOW_S - JITTER_S
    assert max_in_window([r.at for r in requests], window) <= ACCOUNT_MAX
    assert all(max_in_window(times, window) <= TENANT_MAX for times in by_shop.values())
    assert max_in_window([r.at for r in requests], 2 * WINDOW_S) >= ACCOUNT_MAX  # the limit was really pressed
    assert set(mitto_simulator.destination_counts().values()) == {1}
