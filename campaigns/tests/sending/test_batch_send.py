import json
import logging
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.sending import batch_send as sending
from campaigns.services.sending import retry
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.scheduling import batches_recover
from campaigns.tasks import send_batch
from campaigns.tests.support.send_helpers import (
    BULK_URL,
    add_contacts,
    bulk_bodies,
    enqueued_batch,
    funded_shop,
    ledger_matches,
    mitto_accepts,
    recipient_statuses,
    send_counters,
    sending_campaign,
)
from messaging import ratelimit

pytestmark = pytest.mark.django_db


@responses.activate
def test_a_batch_is_one_bulk_request_with_every_rendered_message(no_dispatch, settings):
    shop, campaign, batch = enqueued_batch(2, sender="", traffic_account_id="acct-of-shop")
    campaign.sent_from = "Spring"  # the sender fixed at enqueue
    campaign.save()
    mitto_accepts()

    assert batch_send(batch_id=batch.id).status == "submitted"

    ids = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True))
    assert bulk_bodies() == [{"messages": [
        {"trafficAccountId": "acct-of-shop", "destination": "+306910000000",
         "sms": {"text": "Hi F0, 20% off today", "sender": "Spring"}, "reference": f"r:{ids[0]}"},
        {"trafficAccountId": "acct-of-shop", "destination": "+306910000001",
         "sms": {"text": "Hi F1, 20% off today", "sender": "Spring"}, "reference": f"r:{ids[1]}"},
    ]}]
    assert responses.calls[0].request.headers["X-Mitto-API-Key"] == settings.MITTO_API_KEY


@responses.activate
def test_a_running_campaign_keeps_the_sender_fixed_at_enqueue(no_dispatch):
    shop, campaign, batch = enqueued_batch(2, sender="ShopA")
    campaign.refresh_from_db()
    assert campaign.sent_from == "ShopA"
    shop.sender = "ShopB"  # the shop's default changes while the campaign runs
    shop.save(update_fields=["sender"])
    mitto_accepts()

    batch_send(batch_id=batch.id)

    assert {message["sms"]["sender"] for body in bulk_bodies() for message in body["messages"]} == {"ShopA"}


@responses.activate
def test_accepted_messages_are_sent_and_debited_rejected_ones_failed_and_released(no_dispatch):
    shop, campaign, batch = enqueued_batch(4, body="x" * 200)  # two segments each
    mitto_accepts(rejected_prefix="+306910000003")

    batch_send(batch_id=batch.id)

    rows = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")
    assert [(r.status, r.mitto_message_id, r.error) for r in rows] == [
        ("sent", f"m-r:{rows[0].id}", ""), ("sent", f"m-r:{rows[1].id}", ""), ("sent", f"m-r:{rows[2].id}", ""),
        ("failed", None, "Invalid destination"),
    ]
    assert all(r.sent_at for r in rows[:3])
    batch.refresh_from_db()
    assert (batch.status, batch.accepted, batch.rejected, batch.attempts) == ("submitted", 3, 1, 1)
    assert send_counters(campaign) == {"total": 4, "queued": 0, "sent": 3, "failed": 1, "processed": 4}
    campaign.refresh_from_db()
    assert campaign.status == "completed" and campaign.finished_at
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000 - 6, 0)
    assert ledger_matches(shop)


@responses.activate
def test_a_whole_campaign_is_sent_by_in_process_tasks_a_window_at_a_time(settings, django_capture_on_commit_callbacks):
    settings.SMS_BATCH_SIZE, settings.SEND_WINDOW_BATCHES = 2, 3
    shop = funded_shop()
    add_contacts(shop, 61)  # 31 batches: more than the window, deeper than a recursion would like
    campaign = sending_campaign(shop)
    mitto_accepts()
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_enqueue(shop=shop, campaign_id=campaign.id).batches == 31

    assert len(bulk_bodies()) == 31
    destinations = [m["destination"] for body in bulk_bodies() for m in body["messages"]]
    assert len(destinations) == len(set(destinations)) == 61
    campaign.refresh_from_db()
    assert campaign.status == "completed"
    assert send_counters(campaign)["sent"] == 61
    assert ledger_matches(shop) and shop.credits_held == 0


@responses.activate
def test_a_batch_task_run_twice_sends_one_request(no_dispatch):
    _, campaign, batch = enqueued_batch(3)
    mitto_accepts()
    assert send_batch.apply(args=[batch.id]).get() == "submitted"
    assert send_batch.apply(args=[batch.id]).get() == "skipped"
    assert len(responses.calls) == 1
    assert recipient_statuses(campaign) == ["sent"] * 3


@responses.activate
def test_a_task_dying_after_the_request_is_never_sent_again_and_beat_marks_it_unknown(no_dispatch, monkeypatch):
    shop, campaign, batch = enqueued_batch(3)
    mitto_accepts()

    def die(**kwargs):
        raise SystemExit("worker killed between the answer and the commit")

    with monkeypatch.context() as patch:
        patch.setattr(sending, "batch_apply_answer", die)
        with pytest.raises(SystemExit):
            batch_send(batch_id=batch.id)
    assert batch_send(batch_id=batch.id).status == "skipped"  # the redelivered task
    assert len(responses.calls) == 1
    batch.refresh_from_db()
    assert batch.status == "submitting" and recipient_statuses(campaign) == ["queued"] * 3

    Batch.objects.filter(id=batch.id).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert batches_recover()["unknown"] == 1
    batch.refresh_from_db()
    assert batch.status == "unknown"
    assert batch_send(batch_id=batch.id).status == "skipped"
    assert len(responses.calls) == 1
    assert ledger_matches(shop) and shop.credits_held == 3


@responses.activate
def test_transient_errors_are_retried_until_queue_attempts_then_the_batch_fails(settings, no_dispatch, no_sleep):
    settings.QUEUE_ATTEMPTS = 4
    shop, campaign, batch = enqueued_batch(3)
    responses.add(responses.POST, BULK_URL, status=503, json={"error": "busy"})

    assert send_batch.apply(args=[batch.id]).get() == "failed"

    assert len(responses.calls) == 4
    assert len(no_sleep) == 3 and all(0 < wait <= settings.SEND_RETRY_MAX_DELAY_S for wait in no_sleep)
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("failed", 4)
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    assert {(r.status, r.retry_count) for r in rows} == {("failed", 3)}
    assert send_counters(campaign) == {"total": 3, "queued": 0, "sent": 0, "failed": 3, "processed": 3}
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000, 0) and ledger_matches(shop)
    campaign.refresh_from_db()
    assert campaign.status == "completed"


@responses.activate
def test_a_transient_error_then_success_sends_once_with_two_attempts(no_dispatch, no_sleep):
    _, campaign, batch = enqueued_batch(2)
    responses.add(responses.POST, BULK_URL, body=requests.ConnectTimeout("connect timeout"))
    mitto_accepts()

    assert send_batch.apply(args=[batch.id]).get() == "submitted"
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("submitted", 2)
    assert recipient_statuses(campaign) == ["sent", "sent"]
    assert set(CampaignRecipient.objects.filter(campaign=campaign).values_list("retry_count", flat=True)) == {1}


@responses.activate
def test_mittos_429_is_retried_after_its_retry_after_and_counts_as_an_attempt(no_dispatch):
    _, _, batch = enqueued_batch(2)
    responses.add(responses.POST, BULK_URL, status=429, headers={"Retry-After": "7"})

    result = batch_send(batch_id=batch.id)

    assert result.status == "retry" and 7 <= result.retry_in_s <= 8.7 and not result.limiter_wait
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("queued", 1)
    assert batch.next_attempt_at > timezone.now() + timedelta(seconds=6)


@responses.activate
def test_a_wait_longer_than_the_broker_allows_is_parked_for_beat(no_dispatch, settings):
    _, _, batch = enqueued_batch(2)
    Batch.objects.filter(id=batch.id).update(dispatched_at=timezone.now())
    long_wait = str(settings.SEND_RETRY_MAX_DELAY_S * 2)
    responses.add(responses.POST, BULK_URL, status=429, headers={"Retry-After": long_wait})

    assert batch_send(batch_id=batch.id).status == "parked"
    batch.refresh_from_db()
    assert batch.status == "queued" and batch.dispatched_at is None
    assert batch.next_attempt_at > timezone.now() + timedelta(seconds=settings.SEND_RETRY_MAX_DELAY_S)


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_permanent_error_fails_the_batch_at_once_with_nothing_debited(status, no_dispatch, caplog):
    shop, campaign, batch = enqueued_batch(3)
    responses.add(responses.POST, BULK_URL, status=status, json={"error": "no"})

    with caplog.at_level(logging.CRITICAL, logger="campaigns.services.sending.batch_send"):
        assert send_batch.apply(args=[batch.id]).get() == "failed"

    assert len(responses.calls) == 1
    assert recipient_statuses(campaign) == ["failed"] * 3
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000, 0) and ledger_matches(shop)
    assert any("ALERT" in r.message for r in caplog.records) == (status in (401, 403))


@responses.activate
def test_our_own_rate_limit_refusal_costs_no_attempt_and_makes_no_request(no_dispatch, monkeypatch):
    _, _, batch = enqueued_batch(2)
    refused = ratelimit.Decision(allowed=False, retry_after_s=0.25, at_us=0)
    monkeypatch.setattr(ratelimit, "acquire", lambda **kwargs: refused)

    result = batch_send(batch_id=batch.id)

    assert result.status == "waiting" and result.limiter_wait and 0.25 <= result.retry_in_s < 0.35
    assert len(responses.calls) == 0
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("queued", 0)
    assert batch_send(batch_id=batch.id, limiter_waits=retry.LIMITER_WAITS_MAX).status == "parked"


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [requests.ReadTimeout("no answer"), json.dumps({"messages": []})],
    ids=["read_timeout", "malformed_200"],
)
def test_an_unknown_outcome_is_never_sent_again(answer, no_dispatch):
    shop, campaign, batch = enqueued_batch(3)
    responses.add(responses.POST, BULK_URL, body=answer, status=200)

    assert batch_send(batch_id=batch.id).status == "unknown"
    assert batch_send(batch_id=batch.id).status == "skipped"
    assert batches_recover()["dispatched"] == 0

    assert len(responses.calls) == 1
    batch.refresh_from_db()
    assert batch.status == "unknown"
    assert recipient_statuses(campaign) == ["queued"] * 3
    shop.refresh_from_db()
    assert shop.credits_held == 3 and ledger_matches(shop)


@responses.activate
def test_a_duplicate_phone_in_the_audience_gets_one_message(no_dispatch):
    shop = funded_shop()
    (contact,) = add_contacts(shop, 1)
    contact.tags = ["vip", "promo", "vip"]
    contact.save()
    campaign = sending_campaign(shop, audience={"tags": ["vip", "promo"]})
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    mitto_accepts()
    batch_send(batch_id=Batch.objects.get(campaign=campaign).id)
    assert [m["destination"] for body in bulk_bodies() for m in body["messages"]] == [contact.phone]


@responses.activate
def test_a_paused_campaigns_batch_waits_undispatched_and_a_cancelled_ones_is_not_sent(no_dispatch):
    _, campaign, batch = enqueued_batch(2)
    Batch.objects.filter(id=batch.id).update(dispatched_at=timezone.now())
    Campaign.objects.filter(id=campaign.id).update(status="paused")
    assert batch_send(batch_id=batch.id).status == "paused"
    batch.refresh_from_db()
    assert (batch.status, batch.dispatched_at) == ("queued", None)
    Campaign.objects.filter(id=campaign.id).update(status="cancelled")
    assert batch_send(batch_id=batch.id).status == "skipped"
    assert len(responses.calls) == 0


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_an_answer_survives_a_database_connection_dropped_while_applying_it(no_dispatch, monkeypatch):
    from django.db import OperationalError

    shop, campaign, batch = enqueued_batch(2)
    mitto_accepts()
    calls = []

    def dies_once(**kwargs):
        calls.append(kwargs["batch"].id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_apply(**kwargs)

    real_apply = sending.batch_apply_answer
    monkeypatch.setattr(sending, "batch_apply_answer", dies_once)
    assert batch_send(batch_id=batch.id).status == "submitted"
    assert len(responses.calls) == 1 and calls == [batch.id, batch.id]
    assert recipient_statuses(campaign) == ["sent", "sent"]
    assert ledger_matches(shop)
