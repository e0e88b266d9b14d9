"""Helpers of the system tests (campaigns/tests/system): a campaign caught with a batch at the simulator,
waiting on the database, and the end state every fault must leave."""

import time

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.report_helpers import counters, counters_from_rows
from campaigns.tests.support.send_helpers import add_contacts_sql, funded_shop, sending_campaign

FINAL = {"sent", "delivered", "failed", "cancelled"}
UNFINISHED = {"queued", "submitting"}


def wait_until(condition, *, timeout_s: float = 30, what: str = "", worker=None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    log = worker.output() if worker else ""
    raise AssertionError(f"timed out waiting for {what}: {batch_states()}\n{log}")


def batch_states() -> list[tuple]:
    return list(Batch.objects.order_by("number").values_list("number", "status", "attempts"))


def max_in_window(times: list[float], window_s: float) -> int:
    """The largest number of `times` falling in any half-open window of `window_s` seconds."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window_s:
            first += 1
        most = max(most, last - first + 1)
    return most


def assert_review_or_final(campaign: Campaign) -> None:
    """Each recipient final, or still queued only in an `unknown` batch (shown for review); counters
    equal the rows."""
    unknown = set(Batch.objects.filter(campaign=campaign, status="unknown").values_list("number", flat=True))
    for status, batch_no in CampaignRecipient.objects.filter(campaign=campaign).values_list("status", "batch_no"):
        assert status in FINAL or (status == "queued" and batch_no in unknown), (status, batch_no, unknown)
    assert counters(campaign) == counters_from_rows(campaign)


def campaign_in_flight(
    *, settings, simulator, start_worker, recipients: int, batch: int, delay_ms: int, **worker_env: str
):
    """A worker sending a campaign of `recipients` in batches of `batch` to a simulator answering after
    `delay_ms`; returns (worker, shop, campaign) once a whole bulk request has been accepted there.
    `worker_env` adds environment variables of the worker."""
    settings.SMS_BATCH_SIZE = batch
    simulator.configure(delay_ms=delay_ms)
    worker_env = {"MITTO_API_BASE": simulator.base_url, "SEND_RETRY_BASE_DELAY_S": "0.2", **worker_env}
    worker = start_worker(**worker_env)
    shop = funded_shop(recipients)
    add_contacts_sql(shop, recipients)
    campaign = sending_campaign(shop, body="Flash sale today")
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    wait_until(lambda: len(simulator.accepted()) >= batch, what="a bulk request at the simulator", worker=worker)
    return worker, shop, campaign
