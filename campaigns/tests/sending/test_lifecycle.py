"""A sending campaign's life (sending/lifecycle.py): cancel, pause, resume and completion."""

import pytest
import responses

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.sending import dispatch
from campaigns.services.sending.apply import Answer, batch_apply_answer
from campaigns.services.sending.batch_send import batch_send
from campaigns.tests.support.send_helpers import (
    api_for,
    enqueued_campaign,
    funded_shop,
    ledger_matches,
    mitto_accepts,
    sending_campaign,
)
from metrics.models import CampaignMetrics


@responses.activate
@pytest.mark.django_db
def test_cancel_stops_unsubmitted_batches_releases_their_credits_and_lets_a_submitting_one_finish(settings):
    settings.SMS_BATCH_SIZE = 2
    shop = funded_shop(100)
    campaign = enqueued_campaign(shop, 6)
    first, second, third = Batch.objects.filter(campaign=campaign).order_by("number")
    mitto_accepts()
    batch_send(batch_id=first.id)
    Batch.objects.filter(id=second.id).update(status="submitting")

    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/cancel")

    assert response.status_code == 200 and response.json() == {"ok": True, "status": "cancelled"}
    assert sorted(Batch.objects.filter(campaign=campaign).values_list("number", "status")) == [
        (0, "submitted"), (1, "submitting"), (2, "cancelled")
    ]
    by_batch = dict(CampaignRecipient.objects.filter(campaign=campaign).values_list("batch_no", "status"))
    assert by_batch == {0: "sent", 1: "queued", 2: "cancelled"}
    metrics = CampaignMetrics.objects.get(campaign=campaign)
    assert (metrics.queued, metrics.sent, metrics.cancelled, metrics.processed) == (2, 2, 2, 4)
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (100 - 4, 2)

    second.refresh_from_db()
    sent = [(r, f"m{r}") for r in CampaignRecipient.objects.filter(batch_no=1).values_list("id", flat=True)]
    batch_apply_answer(batch=second, answer=Answer(bulk_id="b2", sent=sent, failed=[]))
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (100 - 4, 0) and ledger_matches(shop)
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"
    assert api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/cancel").json()["reason"] == "invalid_status"


@pytest.mark.django_db
def test_cancel_pause_and_resume_refuse_what_does_not_apply():
    shop = funded_shop()
    client = api_for(shop)
    draft = sending_campaign(shop)
    completed = sending_campaign(shop, status="completed")
    other_shops = sending_campaign(funded_shop())

    def post(campaign, action):
        response = client.post(f"/api/v1/campaigns/{campaign.id}/{action}")
        return response.status_code, response.json().get("reason", response.json().get("status"))

    assert post(completed, "cancel") == (409, "invalid_status")
    assert post(draft, "pause") == (409, "invalid_status")
    assert post(draft, "resume") == (409, "invalid_status")
    assert post(other_shops, "cancel") == (404, "not_found")
    assert post(other_shops, "pause") == (404, "not_found")
    assert post(draft, "cancel") == (200, "cancelled")


@responses.activate
@pytest.mark.django_db
def test_pause_holds_the_remaining_batches_and_resume_sends_them(settings, django_capture_on_commit_callbacks):
    settings.SMS_BATCH_SIZE = 2
    shop = funded_shop()
    client = api_for(shop)
    campaign = enqueued_campaign(shop, 5)
    mitto_accepts()

    assert client.post(f"/api/v1/campaigns/{campaign.id}/pause").json() == {"ok": True, "status": "paused"}
    assert dispatch.batches_dispatch(campaign_id=campaign.id) == 0
    assert len(responses.calls) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/campaigns/{campaign.id}/resume").json() == {"ok": True, "status": "sending"}
    assert len(responses.calls) == 3
    campaign.refresh_from_db()
    assert campaign.status == "completed"
    assert ledger_matches(shop) and shop.credits_held == 0


@pytest.mark.django_db
def test_a_campaign_finished_while_paused_is_completed_on_resume():
    shop = funded_shop()
    campaign = enqueued_campaign(shop, 2)
    Campaign.objects.filter(id=campaign.id).update(status="paused")
    Batch.objects.filter(campaign=campaign).update(status="failed")
    CampaignRecipient.objects.filter(campaign=campaign).update(status="failed")
    CampaignMetrics.objects.filter(campaign=campaign).update(queued=0, failed=2)
    assert api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/resume").json()["status"] == "completed"
