"""The simulator failing for real over HTTP (503s, a burst of 429s, connections dropped after the messages
were accepted): each destination is messaged at most once, no batch is tried more than QUEUE_ATTEMPTS
times, and each recipient ends final or queued in an `unknown` batch (the review state)."""

import time
from collections import Counter

import pytest

from campaigns.models import Batch
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.scheduling import batches_recover
from campaigns.tests.support.reliability_helpers import UNFINISHED, assert_review_or_final
from campaigns.tests.support.send_helpers import add_contacts_sql, funded_shop, ledger_matches, sending_campaign

RECIPIENTS, BATCH = 300, 10


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_5xx_429_and_dropped_connections_never_send_twice(settings, mitto_simulator, start_worker):
    settings.SMS_BATCH_SIZE = BATCH
    settings.QUEUE_ATTEMPTS = 3
    # drop share 0.3: ~26 accepted requests leave no drop once in 10,000 runs (0.15 left none ~1.5% of runs)
    mitto_simulator.configure(fail_5xx_share=0.35, drop_after_accept_share=0.3, burst_429=4)
    worker = start_worker(concurrency=4, MITTO_API_BASE=mitto_simulator.base_url, SEND_RETRY_BASE_DELAY_S="0.05")
    shop = funded_shop(RECIPIENTS)
    add_contacts_sql(shop, RECIPIENTS)
    campaign = sending_campaign(shop, body="Sale")
    campaign_enqueue(shop=shop, campaign_id=campaign.id)

    deadline = time.monotonic() + 90
    while Batch.objects.filter(campaign=campaign, status__in=UNFINISHED).exists():
        assert time.monotonic() < deadline, (Counter(Batch.objects.values_list("status", flat=True)), worker.output())
        batches_recover()  # beat: parked retries are dispatched again
        time.sleep(0.3)

    statuses = Counter(request.status for request in mitto_simulator.requests())
    assert statuses[503] and statuses[429] and statuses[None], statuses  # every fault really happened
    assert set(mitto_simulator.destination_counts().values()) <= {1}
    attempts = list(Batch.objects.filter(campaign=campaign).values_list("attempts", flat=True))
    assert len(attempts) == RECIPIENTS // BATCH and max(attempts) <= settings.QUEUE_ATTEMPTS
    batches = Counter(Batch.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert batches["unknown"] == statuses[None], batches  # a dropped answer is never resent
    assert_review_or_final(campaign)
    shop.refresh_from_db()
    assert ledger_matches(shop)
