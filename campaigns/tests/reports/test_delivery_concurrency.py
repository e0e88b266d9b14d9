"""Two posts of overlapping reports applied at the same moment count each transition once."""

import random
import threading

import pytest
from django.db import OperationalError, connection

from campaigns.models import CampaignRecipient
from campaigns.services.reports import delivery_rows
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.tests.support.report_helpers import (
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
def test_overlapping_payloads_across_campaigns_applied_at_once_count_once():
    campaigns = [campaign_with_recipients(1000) for _ in range(3)]
    ids = []
    for campaign in campaigns:
        send_results(campaign, sent=recipient_ids(campaign))
        ids += recipient_ids(campaign)
    random.shuffle(ids)
    outcome = {rid: random.choice(["Delivered", "Failed"]) for rid in ids}
    first = [report(message_id(rid), outcome[rid]) for rid in ids[:2000]]
    second = [report(message_id(rid), outcome[rid]) for rid in reversed(ids[1000:])]

    results = _apply_together([first, second, second[:10], first[-1:]])

    assert sum(result.applied for result in results) == 3000
    for campaign in campaigns:
        assert counters(campaign) == counters_from_rows(campaign)
        assert not CampaignRecipient.objects.filter(campaign=campaign, status="sent").exists()
    delivered = sum(1 for rid in ids if outcome[rid] == "Delivered")
    assert sum(counters(campaign)["delivered"] for campaign in campaigns) == delivered


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


class _Deadlock(Exception):
    sqlstate = "40P01"


def _failing_once(real, cause):
    calls = []

    def recipients_report(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from cause
        return real(*args, **kwargs)

    return recipients_report, calls


@pytest.mark.django_db(transaction=True)
def test_a_payload_aborted_by_a_deadlock_is_applied_again(monkeypatch):
    campaign = campaign_with_recipients(3)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids)
    patched, calls = _failing_once(delivery_rows.recipients_report, _Deadlock())
    monkeypatch.setattr(delivery_rows, "recipients_report", patched)

    result = delivery_reports_apply(reports=[report(message_id(rid)) for rid in ids])

    assert result.applied == 3 and len(calls) == 2
    assert counters(campaign) == {**counters_from_rows(campaign), "delivered": 3}


@pytest.mark.django_db(transaction=True)
def test_other_database_errors_are_not_retried(monkeypatch):
    campaign = campaign_with_recipients(1)
    send_results(campaign, sent=recipient_ids(campaign))
    patched, calls = _failing_once(delivery_rows.recipients_report, ValueError("connection lost"))
    monkeypatch.setattr(delivery_rows, "recipients_report", patched)

    with pytest.raises(OperationalError):
        delivery_reports_apply(reports=[report(message_id(recipient_ids(campaign)[0]))])
    assert len(calls) == 1
    assert counters(campaign) == counters_from_rows(campaign)
