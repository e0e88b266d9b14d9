"""Two posts of overlapping reports applied at the same moment count each transition once."""

import random
import threading

import pytest
from django.db import connection

from campaigns.models import CampaignRecipient
from campaigns.services.reports import delivery_reports_apply
from campaigns.tests.report_helpers import (
    campaign_with_recipients,
    counters,
    counters_from_rows,
    message_id,
    recipient_ids,
    report,
    send_results,
)


def _apply_together(payloads):
    barrier = threading.Barrier(len(payloads))
    results, errors = [None] * len(payloads), []

    def work(index):
        try:
            barrier.wait()
            results[index] = delivery_reports_apply(reports=payloads[index])
        except Exception as exc:  # handed to the main thread, which fails the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_overlapping_payloads_applied_at_once_count_once():
    campaign = campaign_with_recipients(3000)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids)
    outcome = {rid: random.choice(["Delivered", "Failed"]) for rid in ids}
    first = [report(message_id(rid), outcome[rid]) for rid in ids[:2000]]
    second = [report(message_id(rid), outcome[rid]) for rid in reversed(ids[1000:])]

    results = _apply_together([first, second])

    assert sum(result.applied for result in results) == 3000
    assert sum(result.ignored for result in results) == 1000
    assert counters(campaign) == counters_from_rows(campaign)
    delivered = sum(1 for rid in ids if outcome[rid] == "Delivered")
    assert counters(campaign)["delivered"] == delivered
    assert CampaignRecipient.objects.filter(campaign=campaign, status="sent").count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_same_payload_posted_by_several_workers_at_once_counts_once():
    campaign = campaign_with_recipients(500)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids)
    payload = [report(message_id(rid)) for rid in ids]

    results = _apply_together([payload, list(reversed(payload)), payload])

    assert sum(result.applied for result in results) == 500
    assert sum(result.ignored for result in results) == 1000
    assert counters(campaign) == {**counters_from_rows(campaign), "delivered": 500}
