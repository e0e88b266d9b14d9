"""Reconciliation: counters proved against the recipient rows, drift repaired and logged loudly."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.services.sending.reconcile import campaigns_to_reconcile, counters_reconcile
from campaigns.tasks import reconcile_recent
from campaigns.tests.support.report_helpers import (
    campaign_with_recipients,
    counters,
    counters_from_rows,
    message_id,
    recipient_ids,
    report,
    send_results,
)
from config.locks import single_instance
from metrics.models import CampaignMetrics

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = campaign_with_recipients(10)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids[:4], failed=ids[4:6])
    return campaign


def test_counters_that_agree_are_left_alone(campaign, caplog):
    before = CampaignMetrics.objects.get(campaign_id=campaign.id).updated_at
    assert counters_reconcile(campaign_ids=[campaign.id]) == {}
    assert CampaignMetrics.objects.get(campaign_id=campaign.id).updated_at == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_drift_is_repaired_and_logged_with_the_numbers(campaign, caplog):
    CampaignRecipient.objects.filter(campaign=campaign, status="queued").update(status="cancelled")  # no counters
    CampaignMetrics.objects.filter(campaign_id=campaign.id).update(delivered=3, held=9)

    with caplog.at_level(logging.ERROR, logger="metrics.reconcile"):
        repaired = counters_reconcile()

    assert repaired == {
        campaign.id: {"queued": (4, 0), "cancelled": (0, 4), "delivered": (3, 0), "held": (9, 0)},
    }
    assert counters(campaign) == counters_from_rows(campaign)
    assert CampaignMetrics.objects.get(campaign_id=campaign.id).held == 0
    message = caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.ERROR and "drift" in message and "'queued': (4, 0)" in message


def _hold(campaign, ids):
    """Recipients held for quiet hours as the send path holds them: queued, in no batch (batch_no -1)."""
    CampaignRecipient.objects.filter(id__in=ids).update(
        batch_no=CampaignRecipient.HELD_BATCH_NO, held_until=timezone.now() + timedelta(hours=8)
    )


def test_held_counted_from_the_rows_is_left_alone_when_it_agrees(campaign):
    _hold(campaign, recipient_ids(campaign)[6:9])
    CampaignMetrics.objects.filter(campaign_id=campaign.id).update(held=3)
    assert counters_reconcile(campaign_ids=[campaign.id]) == {}


def test_drift_in_held_is_repaired_from_the_rows_both_ways(campaign):
    ids = recipient_ids(campaign)
    _hold(campaign, ids[6:9])  # 3 held, the counter not moved: too low
    assert counters_reconcile(campaign_ids=[campaign.id]) == {campaign.id: {"held": (0, 3)}}
    assert CampaignMetrics.objects.get(campaign_id=campaign.id).held == 3

    CampaignRecipient.objects.filter(id=ids[6]).update(batch_no=7, held_until=None)  # released without its counter
    CampaignMetrics.objects.filter(campaign_id=campaign.id).update(held=4)  # and too high besides
    assert counters_reconcile(campaign_ids=[campaign.id]) == {campaign.id: {"held": (4, 2)}}
    assert CampaignMetrics.objects.get(campaign_id=campaign.id).held == 2


def test_a_held_row_no_longer_queued_is_not_held(campaign):
    ids = recipient_ids(campaign)
    _hold(campaign, ids[6:8])
    CampaignMetrics.objects.filter(campaign_id=campaign.id).update(held=2)
    CampaignRecipient.objects.filter(id=ids[6]).update(status="cancelled")  # counters not moved: drift
    repaired = counters_reconcile(campaign_ids=[campaign.id])[campaign.id]
    assert repaired["held"] == (2, 1) and repaired["cancelled"] == (0, 1)


def test_only_campaigns_with_counters_are_reconciled():
    draft = campaign_with_recipients(0)
    CampaignMetrics.objects.filter(campaign_id=draft.id).delete()
    assert counters_reconcile(campaign_ids=[draft.id, 10**9]) == {}


def test_recent_and_sending_campaigns_are_the_ones_checked(campaign):
    idle = campaign_with_recipients(2)
    Campaign.objects.filter(id=idle.id).update(status=Campaign.Status.COMPLETED)
    long_ago = timezone.now() - timedelta(days=1)
    CampaignMetrics.objects.filter(campaign_id=idle.id).update(updated_at=long_ago)
    assert campaigns_to_reconcile(changed_since=timezone.now() - timedelta(minutes=15)) == [campaign.id]
    assert campaigns_to_reconcile(changed_since=long_ago - timedelta(seconds=1)) == [campaign.id, idle.id]


def test_the_beat_task_repairs_recent_campaigns(campaign):
    CampaignMetrics.objects.filter(campaign_id=campaign.id).update(sent=0, updated_at=timezone.now())
    assert reconcile_recent.delay().get() == 1
    assert counters(campaign) == counters_from_rows(campaign)


def test_the_beat_task_skips_while_another_run_holds_the_lock(campaign):
    CampaignMetrics.objects.filter(campaign_id=campaign.id).update(sent=0)
    with single_instance("metrics.reconcile") as mine:
        assert mine
        assert reconcile_recent.delay().get() == 0
    assert counters(campaign)["sent"] == 0


@pytest.mark.django_db(transaction=True)
def test_reconciling_while_reports_are_applied_makes_no_false_repair():
    campaign = campaign_with_recipients(2000)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids)
    done = threading.Event()

    def apply_reports():
        try:
            for start in range(0, len(ids), 50):
                delivery_reports_apply(reports=[report(message_id(rid)) for rid in ids[start : start + 50]])
        finally:
            done.set()
            connection.close()

    worker = threading.Thread(target=apply_reports)
    worker.start()
    repairs = []
    while not done.is_set():
        repairs.append(counters_reconcile(campaign_ids=[campaign.id]))
    worker.join()

    assert len(repairs) > 1 and all(repair == {} for repair in repairs)
    assert counters(campaign) == {**counters_from_rows(campaign), "delivered": 2000}
