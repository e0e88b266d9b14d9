import json
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.sending import dispatch
from campaigns.services.sending.apply import Answer, batch_apply_answer
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.scheduling import batches_recover, scheduled_campaigns_start
from campaigns.tasks import start_scheduled
from campaigns.tests.send_helpers import (
    SEND_URL,
    add_contacts,
    api_for,
    funded_shop,
    ledger_matches,
    mitto_accepts,
    run_concurrently,
    sending_campaign,
)
from config.celery import app
from messaging.models import MessageLog
from metrics.models import CampaignMetrics


@pytest.fixture
def published(monkeypatch):
    """Tasks go to a (recorded) broker instead of running in-process: the batch ids published, in order."""
    sent = []
    monkeypatch.setattr(dispatch, "_publish", sent.extend)
    app.conf.task_always_eager = False
    yield sent
    app.conf.task_always_eager = True


def enqueued(shop, contacts, *, start=0):
    add_contacts(shop, contacts, start=start)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    return campaign


def batch_ids(campaign):
    return list(Batch.objects.filter(campaign=campaign).order_by("number").values_list("id", flat=True))


@pytest.mark.django_db
def test_dispatch_releases_a_bounded_window_and_the_next_batch_as_one_finishes(
    settings, published, django_capture_on_commit_callbacks
):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 2, 2
    campaign = enqueued(funded_shop(), 9)
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
        big = enqueued(funded_shop(), 40)
        small = enqueued(funded_shop(), 3, start=1000)
    assert published == batch_ids(big)[:3] + batch_ids(small)


@pytest.mark.django_db
def test_paused_and_cancelled_campaigns_dispatch_nothing(published):
    campaign = enqueued(funded_shop(), 3)
    for status in ("paused", "cancelled"):
        Campaign.objects.filter(id=campaign.id).update(status=status)
        assert dispatch.batches_dispatch(campaign_id=campaign.id) == 0
    assert published == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_never_claim_a_batch_twice(settings, published):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 1, 6
    campaign = enqueued(funded_shop(), 20)
    run_concurrently(*[lambda: dispatch.batches_dispatch(campaign_id=campaign.id)] * 4)
    assert len(published) == len(set(published)) == 6


@pytest.mark.django_db
def test_beat_redispatches_lost_batches_and_dispatches_due_ones(
    settings, published, django_capture_on_commit_callbacks
):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 1, 2
    campaign = enqueued(funded_shop(), 3)
    ids = batch_ids(campaign)
    long_ago = timezone.now() - timedelta(seconds=settings.SEND_STALE_DISPATCH_S + 5)
    Batch.objects.filter(id=ids[0]).update(dispatched_at=long_ago)  # its broker message was lost
    Batch.objects.filter(id=ids[1]).update(next_attempt_at=timezone.now() + timedelta(minutes=5))  # parked
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_recover()["redispatched"] == 1
    assert published == [ids[0], ids[2]]


@responses.activate
@pytest.mark.django_db
def test_cancel_stops_unsubmitted_batches_releases_their_credits_and_lets_a_submitting_one_finish(settings):
    settings.SMS_BATCH_SIZE = 2
    shop = funded_shop(100)
    campaign = enqueued(shop, 6)
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
    campaign = enqueued(shop, 5)
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
    campaign = enqueued(shop, 2)
    Campaign.objects.filter(id=campaign.id).update(status="paused")
    Batch.objects.filter(campaign=campaign).update(status="failed")
    CampaignRecipient.objects.filter(campaign=campaign).update(status="failed")
    CampaignMetrics.objects.filter(campaign=campaign).update(queued=0, failed=2)
    assert api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/resume").json()["status"] == "completed"


@responses.activate
@pytest.mark.django_db
def test_a_test_send_renders_sends_one_message_and_debits_its_segments(settings):
    shop = funded_shop(10)
    campaign = sending_campaign(shop, body="Hi {{ first_name }}! " + "x" * 160)
    responses.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})

    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/test", {"phone": "+30 691 234 5678"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "status": "sent", "phone": "+306912345678", "messageId": "m-test"}
    assert json.loads(responses.calls[0].request.body) == {
        "trafficAccountId": settings.MITTO_TRAFFIC_ACCOUNT_ID, "destination": "+306912345678",
        "sms": {"text": "Hi ! " + "x" * 160, "sender": "MyShop"}, "reference": f"t:{campaign.id}",
    }
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (8, 0) and ledger_matches(shop)
    log = MessageLog.objects.get()
    assert (log.kind, log.direction, log.status, log.mitto_message_id) == ("test", "out", "sent", "m-test")


@responses.activate
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("insufficient_credits", (402, "insufficient_credits")),
        ("invalid_phone", (400, "validation_error")),
        ("missing_phone", (400, "validation_error")),
        ("provider_5xx", (502, "provider_error")),
        ("provider_rejects", (502, "provider_error")),
    ],
)
def test_a_failed_test_send_debits_nothing(case, expected):
    shop = funded_shop(0 if case == "insufficient_credits" else 10)
    campaign = sending_campaign(shop)
    if case == "provider_5xx":
        responses.add(responses.POST, SEND_URL, status=503)
    else:
        responses.add(responses.POST, SEND_URL, json={"messages": [{"error": "Invalid destination"}]})
    body = {"invalid_phone": {"phone": "12"}, "missing_phone": {}}.get(case, {"phone": "+306912345678"})

    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/test", body, format="json")

    assert (response.status_code, response.json()["reason"]) == expected
    shop.refresh_from_db()
    assert shop.credits_held == 0 and ledger_matches(shop)
    assert shop.credits == (0 if case == "insufficient_credits" else 10)


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


def test_task_names_routes_and_beat_schedule_are_stable(settings):
    app.loader.import_default_modules()
    names = {name for name in app.tasks if name.startswith("campaigns.")}
    assert {"campaigns.send_batch", "campaigns.start_scheduled", "campaigns.recover_batches",
            "campaigns.resolve_unknown_batches", "campaigns.send_help_answer"} <= names
    assert app.amqp.router.route({}, "campaigns.send_batch")["queue"].name == settings.CELERY_QUEUE_SEND
    assert app.amqp.router.route({}, "campaigns.send_help_answer")["queue"].name == settings.CELERY_QUEUE_SEND
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "campaigns.start_scheduled", "campaigns.recover_batches", "campaigns.resolve_unknown_batches",
        "campaigns.reapply_unmatched_reports", "metrics.reconcile", "campaigns.release_held_recipients",
        "campaigns.purge_finished",
    }
    assert {entry["options"]["queue"] for entry in schedule.values()} == {settings.CELERY_QUEUE_PERIODIC}
