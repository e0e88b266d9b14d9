"""End to end: a real Celery worker process, PostgreSQL, Redis and the Mitto simulator over HTTP."""

import time
from collections import Counter

import pytest

from campaigns.models import Batch, Campaign
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.send_helpers import add_contacts_sql, funded_shop, ledger_matches, sending_campaign
from metrics.models import CampaignMetrics

RECIPIENTS = 20_000
REJECTED = 1_000  # +306910001000 … +306910001999
TIMEOUT_S = 180


def wait_for_completion(campaign: Campaign, worker) -> list[tuple[int, int, int]]:
    """Poll the counters until the campaign completes: (total, queued, processed) at every poll."""
    polls, deadline = [], time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        metrics = CampaignMetrics.objects.get(campaign=campaign)
        polls.append((metrics.total, metrics.queued, metrics.processed))
        campaign.refresh_from_db()
        if campaign.status == Campaign.Status.COMPLETED:
            return polls
        time.sleep(0.1)
    batches = list(Batch.objects.filter(campaign=campaign).values_list("number", "status", "attempts", "error"))
    raise AssertionError(
        f"not completed within {TIMEOUT_S}s: {campaign.status}, counters {polls[-1]}, batches {batches}\n"
        f"worker log:\n{worker.output()}"
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_twenty_thousand_recipients_are_each_messaged_exactly_once(settings, mitto_simulator, start_worker):
    settings.SMS_BATCH_SIZE = 1000
    mitto_simulator.configure(reject_prefix="+306910001", burst_429=2, fail_5xx_share=0.1)
    worker = start_worker(MITTO_API_BASE=mitto_simulator.base_url, SEND_RETRY_BASE_DELAY_S="0.2")
    shop = funded_shop(RECIPIENTS)
    add_contacts_sql(shop, RECIPIENTS)
    campaign = sending_campaign(shop, body="Hi {{ first_name }}, spring sale: 20% off today")

    started = time.monotonic()
    result = campaign_enqueue(shop=shop, campaign_id=campaign.id)
    polls = wait_for_completion(campaign, worker)
    elapsed = time.monotonic() - started
    print(f"\ne2e: {RECIPIENTS} messages enqueue→completed in {elapsed:.2f}s = {RECIPIENTS / elapsed:.0f} messages/s")

    assert (result.created, result.batches) == (RECIPIENTS, 20)
    assert all(total == queued + processed for total, queued, processed in polls)
    counts = mitto_simulator.destination_counts()
    assert len(counts) == RECIPIENTS - REJECTED and set(counts.values()) == {1}
    texts = {m.destination: m.text for m in mitto_simulator.accepted()}
    assert texts["+306910000042"] == "Hi F42, spring sale: 20% off today"
    metrics = CampaignMetrics.objects.get(campaign=campaign)
    assert (metrics.sent, metrics.failed, metrics.queued) == (RECIPIENTS - REJECTED, REJECTED, 0)
    assert Counter(Batch.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"submitted": 20}
    statuses = Counter(request.status for request in mitto_simulator.requests())
    assert statuses[200] == 20 and statuses[429] + statuses[503] >= 2, (statuses, worker.output())
    shop.refresh_from_db()
    assert ledger_matches(shop) and (shop.credits, shop.credits_held) == (REJECTED, 0)
