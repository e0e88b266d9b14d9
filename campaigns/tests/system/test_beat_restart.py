"""The whole worker and beat SIGKILLed (process groups) while a batch is at the simulator, then both started
again: beat alone brings the campaign to `completed`. The test only starts processes: beat's recovery marks
the batches stuck in `submitting` unknown (never resent), re-dispatches the batches whose broker messages the
killed worker took with it, gives the unknown recipients up for review after the deadline and completes the
campaign; nobody is messaged twice, counters equal the rows, the ledger balances and nothing stays held.
Two beats run after the restart (a deployment mistake): their periodic tasks' locks keep them from
overlapping and the outcome is the same."""

import pytest
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.sending.unknown import OUTCOME_UNKNOWN
from campaigns.tests.support.reliability_helpers import (
    assert_review_or_final,
    batch_states,
    campaign_in_flight,
    wait_until,
)
from campaigns.tests.support.send_helpers import ledger_matches
from config.celery import app

RECIPIENTS, BATCH, WINDOW = 300, 50, 2
# The provider answers after 2 s; the deadlines are short but longer than any request may take.
DELAY_MS = 2000
ENV = {
    "BEAT_INTERVAL_SCALE": "0.1",  # recover_batches every 3 s, resolve_unknown_batches every 6 s
    "MITTO_TIMEOUT_S": "4",
    "SEND_SUBMIT_DEADLINE_S": "6",
    "SEND_STALE_DISPATCH_S": "6",
    "SEND_UNKNOWN_REVIEW_S": "8",
    "SEND_WINDOW_BATCHES": str(WINDOW),
}


def retry_held(campaign) -> bool:
    """A batch answered 429 waits for its retry, whose countdown message the worker has taken from the broker
    (Celery keeps such a message in the worker's memory, unacknowledged, until it is due)."""
    waiting = Batch.objects.filter(campaign=campaign, status="queued", attempts__gte=1)
    waiting = set(waiting.values_list("id", flat=True))
    held = app.control.inspect(timeout=1, limit=1).scheduled() or {}
    return any(entry["request"]["args"][0] in waiting for entries in held.values() for entry in entries)


def at_simulator_now(campaign, simulator) -> bool:
    """A claimed batch's request has been accepted by the simulator (its answer not applied yet)."""
    batches = Batch.objects.filter(campaign=campaign)
    done = batches.filter(status="submitted").count()
    return batches.filter(status="submitting").exists() and len(simulator.accepted()) > done * BATCH


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_killed_and_restarted_the_campaign_completes(
    settings, mitto_simulator, start_worker, start_beat
):
    beat = start_beat(**ENV)
    settings.SEND_WINDOW_BATCHES = WINDOW
    mitto_simulator.configure(burst_429=1)  # the first request: 429, Retry-After 1 s
    worker, shop, campaign = campaign_in_flight(
        settings=settings, simulator=mitto_simulator, start_worker=start_worker,
        recipients=RECIPIENTS, batch=BATCH, delay_ms=DELAY_MS, **ENV,
    )
    wait_until(lambda: retry_held(campaign) and at_simulator_now(campaign, mitto_simulator),
               what="a batch's retry held by the worker and another batch at the simulator", worker=worker)
    worker.kill()  # SIGKILL to both process groups: answers never applied, reserved messages never acked
    beat.kill()
    worker.process.wait(10)
    beat.process.wait(10)
    at_simulator = set(Batch.objects.filter(campaign=campaign, status="submitting").values_list("number", flat=True))
    assert at_simulator
    lost = set(Batch.objects.filter(campaign=campaign, status="queued", attempts=1).values_list("id", flat=True))
    assert lost  # its retry message died with the worker (unacknowledged: back only after the visibility timeout)

    restarted_at = timezone.now()
    worker = start_worker(MITTO_API_BASE=mitto_simulator.base_url, SEND_RETRY_BASE_DELAY_S="0.2", **ENV)
    start_beat(**ENV)
    start_beat(**ENV)  # a second beat by mistake: each periodic task runs twice as often, never at once

    def completed() -> bool:
        campaign.refresh_from_db()
        return campaign.status == Campaign.Status.COMPLETED

    wait_until(completed, timeout_s=120, what="beat to complete the campaign", worker=worker)

    counts = mitto_simulator.destination_counts()
    assert set(counts.values()) == {1}, "a destination was messaged twice"
    unknown = Batch.objects.filter(campaign=campaign, status="unknown")
    assert set(unknown.values_list("number", flat=True)) == at_simulator  # recovered by beat, never resent
    assert all("submit deadline" in error for error in unknown.values_list("error", flat=True))
    for status, dispatched_at in Batch.objects.filter(id__in=lost).values_list("status", "dispatched_at"):
        assert status == "submitted" and dispatched_at > restarted_at  # re-dispatched by beat's recovery
    given_up = CampaignRecipient.objects.filter(campaign=campaign, status="failed", error=OUTCOME_UNKNOWN)
    assert set(given_up.values_list("batch_no", flat=True)) == at_simulator
    sent = CampaignRecipient.objects.filter(campaign=campaign, status="sent")
    assert sent.count() + given_up.count() == RECIPIENTS
    assert set(sent.values_list("phone", flat=True)) <= set(counts)
    assert all(attempts <= settings.QUEUE_ATTEMPTS for _, _, attempts in batch_states())
    assert_review_or_final(campaign)
    shop.refresh_from_db()
    assert ledger_matches(shop) and shop.credits_held == 0
