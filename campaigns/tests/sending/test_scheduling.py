"""Beat's part of the send path (sending/scheduling.py): lost batches re-dispatched, due scheduled campaigns
started once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Batch, CampaignRecipient
from campaigns.services.sending.scheduling import batches_recover, scheduled_campaigns_start
from campaigns.tasks import start_scheduled
from campaigns.tests.support.send_helpers import (
    add_contacts,
    batch_ids,
    enqueued_campaign,
    funded_shop,
    ledger_matches,
    run_concurrently,
    sending_campaign,
)


@pytest.mark.django_db
def test_beat_redispatches_lost_batches_and_dispatches_due_ones(
    settings, published, django_capture_on_commit_callbacks
):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 1, 2
    campaign = enqueued_campaign(funded_shop(), 3)
    ids = batch_ids(campaign)
    long_ago = timezone.now() - timedelta(seconds=settings.SEND_STALE_DISPATCH_S + 5)
    Batch.objects.filter(id=ids[0]).update(dispatched_at=long_ago)  # its broker message was lost
    Batch.objects.filter(id=ids[1]).update(next_attempt_at=timezone.now() + timedelta(minutes=5))  # parked
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_recover()["redispatched"] == 1
    assert published == [ids[0], ids[2]]

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("runner", [start_scheduled, scheduled_campaigns_start], ids=["task", "service"])
def test_a_due_scheduled_campaign_is_started_once_when_beat_runs_twice_at_once(runner, no_dispatch):
    shop = funded_shop()
    add_contacts(shop, 5)
    campaign = sending_campaign(shop, status="scheduled", scheduled_at=timezone.now() - timedelta(seconds=1))
    later = sending_campaign(shop, status="scheduled", scheduled_at=timezone.now() + timedelta(hours=1))
    run_concurrently(runner, runner)

    campaign.refresh_from_db()
    later.refresh_from_db()
    assert (campaign.status, later.status) == ("sending", "scheduled")
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 5
    shop.refresh_from_db()
    assert shop.credits_held == 5 and ledger_matches(shop)

@pytest.mark.django_db
def test_a_scheduled_campaign_that_cannot_start_is_marked_failed(no_dispatch):
    shop = funded_shop(1)
    add_contacts(shop, 5)
    campaign = sending_campaign(shop, status="scheduled", scheduled_at=timezone.now())
    assert scheduled_campaigns_start() == {"started": 0, "failed": 1}
    campaign.refresh_from_db()
    assert campaign.status == "failed"
    assert not CampaignRecipient.objects.exists()
