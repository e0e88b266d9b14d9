"""PostgreSQL connections of the worker terminated (pg_terminate_backend) while its bulk requests are at
the simulator: the answers cannot be applied on the dead connection, yet no destination is messaged twice
and, after beat's recovery, every recipient is final or queued in an `unknown` batch for review."""

import pytest
from django.db import connection

from campaigns.models import Batch, Campaign
from campaigns.services.sending.scheduling import batches_recover
from campaigns.tests.support.reliability_helpers import (
    UNFINISHED,
    assert_review_or_final,
    campaign_in_flight,
    wait_until,
)

RECIPIENTS, BATCH = 400, 100


def terminate_other_connections() -> int:
    """Terminate every other session on this test database (the worker's); returns how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_worker_database_connection_terminated_mid_batch(settings, mitto_simulator, start_worker):
    worker, _, campaign = campaign_in_flight(
        settings=settings, simulator=mitto_simulator, start_worker=start_worker,
        recipients=RECIPIENTS, batch=BATCH, delay_ms=1500,
    )
    assert terminate_other_connections() >= 1
    mitto_simulator.configure(delay_ms=0)

    settings.SEND_SUBMIT_DEADLINE_S = settings.SEND_STALE_DISPATCH_S = 1
    wait_until(
        lambda: batches_recover() and not Batch.objects.filter(campaign=campaign, status__in=UNFINISHED).exists(),
        what="every batch answered or marked unknown", worker=worker, timeout_s=40,
    )

    counts = mitto_simulator.destination_counts()
    assert set(counts.values()) == {1}
    assert all(a <= settings.QUEUE_ATTEMPTS for a in Batch.objects.values_list("attempts", flat=True))
    assert_review_or_final(campaign)
    campaign.refresh_from_db()
    assert campaign.status in (Campaign.Status.SENDING, Campaign.Status.COMPLETED)
