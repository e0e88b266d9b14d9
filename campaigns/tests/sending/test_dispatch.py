"""Dispatch (sending/dispatch.py): a bounded window of batches per campaign in the broker, the next released as one
finishes, so a small campaign is not queued behind a big one."""

import pytest

from campaigns.models import Batch, Campaign
from campaigns.services.sending import dispatch
from campaigns.tests.support.send_helpers import (
    batch_ids,
    enqueued_campaign,
    funded_shop,
    run_concurrently,
)


@pytest.mark.django_db
def test_dispatch_releases_a_bounded_window_and_the_next_batch_as_one_finishes(
    settings, published, django_capture_on_commit_callbacks
):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 2, 2
    campaign = enqueued_campaign(funded_shop(), 9)
    ids = batch_ids(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.batches_dispatch(campaign_id=campaign.id) == 2
        assert dispatch.batches_dispatch(campaign_id=campaign.id) == 0
        Batch.objects.filter(id=ids[0]).update(status="submitted")
        assert dispatch.batches_dispatch(campaign_id=campaign.id) == 1
    assert published == ids[:3]

@pytest.mark.django_db
def test_a_small_campaign_is_not_queued_behind_a_big_one(settings, published, django_capture_on_commit_callbacks):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 2, 3
    with django_capture_on_commit_callbacks(execute=True):
        big = enqueued_campaign(funded_shop(), 40)
        small = enqueued_campaign(funded_shop(), 3, start=1000)
    assert published == batch_ids(big)[:3] + batch_ids(small)

@pytest.mark.django_db
def test_paused_and_cancelled_campaigns_dispatch_nothing(published):
    campaign = enqueued_campaign(funded_shop(), 3)
    for status in ("paused", "cancelled"):
        Campaign.objects.filter(id=campaign.id).update(status=status)
        assert dispatch.batches_dispatch(campaign_id=campaign.id) == 0
    assert published == []

@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_never_claim_a_batch_twice(settings, published):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 1, 6
    campaign = enqueued_campaign(funded_shop(), 20)
    run_concurrently(*[lambda: dispatch.batches_dispatch(campaign_id=campaign.id)] * 4)
    assert len(published) == len(set(published)) == 6
