"""Retention (campaigns.services.sending.retention): campaigns finished more than RETENTION_DAYS ago lose their
recipients and batches in bounded chunks, message logs and unmatched reports of that age go too; counters,
the ledger (balance == ledger still) and consent history stay; nothing newer or still running is touched."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient, ConsentEvent, CreditTransaction
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.retention import finished_campaigns_purge
from campaigns.tests.support.send_helpers import (
    add_contacts,
    funded_shop,
    ledger_matches,
    mitto_accepts,
    sending_campaign,
)
from config.celery import PERIODIC
from messaging.models import MessageLog, UnmatchedReport
from metrics.models import CampaignMetrics

pytestmark = pytest.mark.django_db

RECIPIENTS, BATCH = 25, 10


def sent_campaign(shop, *, finished_days_ago: int) -> Campaign:
    """A campaign of RECIPIENTS new contacts of `shop` sent in batches of BATCH through the mocked provider,
    completed `finished_days_ago` days ago."""
    add_contacts(shop, RECIPIENTS)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    for batch_id in Batch.objects.filter(campaign=campaign).values_list("id", flat=True):
        assert batch_send(batch_id=batch_id).status == "submitted"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    Campaign.objects.filter(id=campaign.id).update(finished_at=timezone.now() - timedelta(days=finished_days_ago))
    return campaign


def aged(model, days: int, column: str, **fields):
    row = model.objects.create(**fields)
    model.objects.filter(id=row.id).update(**{column: timezone.now() - timedelta(days=days)})
    return row


@responses.activate
def test_old_finished_campaigns_lose_their_rows_in_chunks_and_keep_counters_ledger_and_consent(
    no_dispatch, settings
):
    settings.SMS_BATCH_SIZE = BATCH
    settings.RETENTION_DAYS = 180
    mitto_accepts()
    shop = funded_shop(1000)
    old = sent_campaign(shop, finished_days_ago=181)
    recent = sent_campaign(funded_shop(1000), finished_days_ago=179)
    running = sending_campaign(shop, status=Campaign.Status.SENDING)
    Campaign.objects.filter(id=running.id).update(finished_at=timezone.now() - timedelta(days=400))
    aged(ConsentEvent, 400, "occurred_at", shop=shop, phone="+306910000000", action="withdrawn", source="sms")
    consent_before = ConsentEvent.objects.filter(shop=shop).count()
    old_counters = CampaignMetrics.objects.filter(campaign=old).values("total", "sent").get()
    ledger_before = CreditTransaction.objects.filter(shop=shop).count()
    old_log = aged(MessageLog, 181, "created_at", shop=shop, direction="out", kind="test", phone="+306910000001")
    new_log = aged(MessageLog, 10, "created_at", shop=shop, direction="in", kind="inbound", phone="+306910000002")
    old_report = aged(UnmatchedReport, 181, "received_at", message_id="gone")
    new_report = aged(UnmatchedReport, 1, "received_at", message_id="fresh")

    removed = finished_campaigns_purge(chunk_rows=7)

    assert removed == {"campaigns": 1, "recipients": RECIPIENTS, "batches": 3, "message_logs": 1,
                       "unmatched_reports": 1}
    assert not CampaignRecipient.objects.filter(campaign=old).exists()
    assert not Batch.objects.filter(campaign=old).exists()
    assert CampaignRecipient.objects.filter(campaign=recent).count() == RECIPIENTS
    assert Batch.objects.filter(campaign=recent).count() == 3
    assert Campaign.objects.filter(id__in=[old.id, recent.id, running.id]).count() == 3
    assert CampaignMetrics.objects.filter(campaign=old).values("total", "sent").get() == old_counters
    assert CreditTransaction.objects.filter(shop=shop).count() == ledger_before
    assert CreditTransaction.objects.filter(campaign=old, batch__isnull=True).exists()
    assert ledger_matches(shop)
    assert ConsentEvent.objects.filter(shop=shop).count() == consent_before
    assert list(MessageLog.objects.values_list("id", flat=True)) == [new_log.id]
    assert list(UnmatchedReport.objects.values_list("id", flat=True)) == [new_report.id]
    assert old_log.id != new_log.id and old_report.id != new_report.id
    assert finished_campaigns_purge(chunk_rows=7) == {"campaigns": 0, "recipients": 0, "batches": 0,
                                                      "message_logs": 0, "unmatched_reports": 0}


@responses.activate
def test_a_run_stops_at_its_time_budget_and_the_next_one_carries_on(no_dispatch, settings):
    settings.SMS_BATCH_SIZE = BATCH
    mitto_accepts()
    old = sent_campaign(funded_shop(1000), finished_days_ago=365)

    assert finished_campaigns_purge(chunk_rows=7, budget_s=0)["recipients"] == 0
    assert CampaignRecipient.objects.filter(campaign=old).count() == RECIPIENTS

    assert finished_campaigns_purge(chunk_rows=7)["recipients"] == RECIPIENTS
    assert not Batch.objects.filter(campaign=old).exists()


def test_beat_runs_the_purge_on_the_periodic_queue():
    assert "campaigns.purge_finished" in dict(PERIODIC)
