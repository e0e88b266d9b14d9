"""A worker SIGKILLed while a bulk request is at the simulator (accepted there, answer not yet applied),
then a new worker and beat's recovery services: no destination is messaged twice, every recipient ends
final or queued in an `unknown` batch (the review state), counters equal the rows, nothing stays queued
once the review deadline passes."""

import pytest

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.sending.scheduling import batches_recover
from campaigns.services.sending.unknown import unknown_batches_resolve
from campaigns.tests.support.reliability_helpers import (
    UNFINISHED,
    assert_review_or_final,
    batch_states,
    campaign_in_flight,
    wait_until,
)
from campaigns.tests.support.send_helpers import ledger_matches

RECIPIENTS, BATCH = 400, 100


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_never_sends_twice(settings, mitto_simulator, start_worker):
    worker, shop, campaign = campaign_in_flight(
        settings=settings, simulator=mitto_simulator, start_worker=start_worker,
        recipients=RECIPIENTS, batch=BATCH, delay_ms=5000,
    )
    worker.kill()  # SIGKILL to the process group: the answers are never applied
    worker.process.wait(10)
    at_simulator = len(mitto_simulator.accepted()) // BATCH
    mitto_simulator.configure(delay_ms=0)
    # The other pool process may have claimed a batch whose request had not reached the simulator yet when
    # the kill landed: from the database the two cannot be told apart, so both count as in flight.
    in_flight = Batch.objects.filter(campaign=campaign, status="submitting").count()
    assert in_flight >= at_simulator >= 1

    settings.SEND_SUBMIT_DEADLINE_S = settings.SEND_STALE_DISPATCH_S = 0  # beat, with its deadlines passed
    recovered = batches_recover()
    assert recovered["unknown"] == in_flight
    worker = start_worker(MITTO_API_BASE=mitto_simulator.base_url, SEND_RETRY_BASE_DELAY_S="0.2")
    wait_until(
        lambda: not Batch.objects.filter(campaign=campaign, status__in=UNFINISHED).exists(),
        what="the other batches sent by the new worker", worker=worker,
    )
    batches_recover()

    counts = mitto_simulator.destination_counts()
    unknown = Batch.objects.filter(campaign=campaign, status="unknown").values_list("number", flat=True)
    resent = set(CampaignRecipient.objects.filter(campaign=campaign).exclude(batch_no__in=unknown)
                 .values_list("phone", flat=True))
    everyone = set(CampaignRecipient.objects.filter(campaign=campaign).values_list("phone", flat=True))
    assert set(counts.values()) == {1} and resent <= set(counts) <= everyone
    assert len(counts) >= RECIPIENTS - (in_flight - at_simulator) * BATCH
    assert Batch.objects.filter(campaign=campaign, status="unknown").count() == in_flight
    assert all(attempts <= settings.QUEUE_ATTEMPTS for _, _, attempts in batch_states())
    assert_review_or_final(campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING  # held open while recipients await review

    settings.SEND_UNKNOWN_REVIEW_S = 0  # the review deadline passes: nothing stays queued forever
    assert unknown_batches_resolve()["given_up"] == in_flight * BATCH
    assert_review_or_final(campaign)
    assert not CampaignRecipient.objects.filter(campaign=campaign, status="queued").exists()
    campaign.refresh_from_db()
    shop.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    assert ledger_matches(shop) and shop.credits_held == 0
