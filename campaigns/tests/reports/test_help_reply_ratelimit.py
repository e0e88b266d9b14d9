"""HELP answers and test sends take a token from the shop's rate limits (real Redis) like campaign batches; a
HELP answer met by a full limiter is deferred to the send queue and then sent exactly once."""

import json
from datetime import timedelta

import pytest
import responses

from campaigns.services.reports import auto_reply
from campaigns.services.reports.auto_reply import auto_reply_deliver
from campaigns.services.sending.gateway import provider_request_take
from campaigns.tasks import send_auto_reply, send_help_answer
from campaigns.tests.reports.test_help_reply import (
    OUR_NUMBER,
    PHONE,
    SEND_URL,
    _mitto_single_send,
    _reply,
    _sent_bodies,
)
from campaigns.tests.support.factories import ContactFactory, ShopFactory
from campaigns.tests.support.send_helpers import api_for, funded_shop, ledger_matches, sending_campaign
from messaging import ratelimit
from messaging.models import MessageLog

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_request_a_minute(settings):
    assert settings.REDIS_URL, "these tests use the real Redis limiter"
    settings.RATE_LIMIT_TENANT_MAX = 1
    settings.RATE_LIMIT_TENANT_WINDOW_MS = 60_000


@pytest.fixture
def shop():
    shop = ShopFactory(sender=OUR_NUMBER, name="Olive Grove", help_text="Questions? hello@olive.example")
    ContactFactory(shop=shop, phone=PHONE, sms_consent=True)
    return shop


@pytest.fixture
def scheduled(monkeypatch):
    """The deferred tasks sent to the broker: (args, options)."""
    calls = []
    monkeypatch.setattr(send_auto_reply, "apply_async", lambda args, **options: calls.append((args, options)))
    return calls


def _answers():
    return MessageLog.objects.filter(kind="help", direction="out")


@responses.activate
def test_a_help_answer_met_by_a_full_limiter_is_deferred_then_sent_once(shop, scheduled, settings):
    _mitto_single_send()
    assert provider_request_take(shop=shop).allowed  # the shop's one request of the minute: a campaign batch

    assert _reply("HELP").status_code == 202
    assert _reply("INFO").status_code == 202  # the day's answer is already on its way

    assert _sent_bodies() == []
    [answer] = _answers()
    assert answer.status == "queued"
    [(args, options)] = scheduled
    assert args == [answer.id] and options["queue"] == settings.CELERY_QUEUE_SEND
    assert options["countdown"] == 0  # published once the webhook's transaction committed

    waiting = auto_reply_deliver(log_id=answer.id)
    assert (waiting.status, 0 < waiting.retry_in_s <= 61) == ("waiting", True)
    assert _sent_bodies() == []

    ratelimit.reset()  # the minute has passed
    assert auto_reply_deliver(log_id=answer.id, attempt=2).status == "sent"
    assert auto_reply_deliver(log_id=answer.id, attempt=2).status == "skipped"  # a redelivered task
    assert send_help_answer.apply(args=[answer.id]).get() == "skipped"

    assert [body["destination"] for body in _sent_bodies()] == [PHONE]
    answer.refresh_from_db()
    assert (answer.status, answer.mitto_message_id) == ("sent", "help-1")
    assert not provider_request_take(shop=shop).allowed  # the answer took the shop's token
    _reply("HELP")
    assert len(_sent_bodies()) == 1 and _answers().count() == 1


@responses.activate
def test_the_task_waits_for_the_limiter_and_sends(shop, settings):
    settings.RATE_LIMIT_TENANT_WINDOW_MS = 300
    _mitto_single_send()
    assert provider_request_take(shop=shop).allowed

    _reply("HELP")  # eager tasks: the task runs after commit, waiting in-process

    [body] = _sent_bodies()
    assert body["sms"]["text"].startswith("Olive Grove: ")
    assert _answers().get().status == "sent"


@responses.activate
def test_an_answer_that_never_gets_a_token_fails_and_the_next_help_is_answered(shop, scheduled, monkeypatch):
    monkeypatch.setattr(auto_reply, "AUTO_REPLY_ATTEMPTS", 3)
    _mitto_single_send()
    assert provider_request_take(shop=shop).allowed
    _reply("HELP")
    answer = _answers().get()

    assert auto_reply_deliver(log_id=answer.id, attempt=2).status == "waiting"
    assert auto_reply_deliver(log_id=answer.id, attempt=3).status == "failed"
    answer.refresh_from_db()
    assert (answer.status, answer.error) == ("failed", "rate limited (after 3 attempts)")

    ratelimit.reset()
    _reply("HELP")
    assert auto_reply_deliver(log_id=_answers().latest("id").id).status == "sent"
    assert len(_sent_bodies()) == 1
    assert _answers().filter(status="sent").count() == 1


@responses.activate
def test_a_queued_answer_whose_task_was_lost_expires_and_stops_counting(shop, scheduled):
    _mitto_single_send()
    assert provider_request_take(shop=shop).allowed
    _reply("HELP")
    answer = _answers().get()
    ratelimit.reset()

    _answers().update(created_at=answer.created_at - auto_reply.AUTO_REPLY_MAX_AGE - timedelta(seconds=1))
    assert auto_reply_deliver(log_id=answer.id).status == "failed"  # too late to answer that HELP
    _answers().update(status="queued", created_at=answer.created_at - timedelta(minutes=15))
    _reply("HELP")  # the lost one no longer holds the day
    auto_reply_deliver(log_id=_answers().latest("id").id)

    assert len(_sent_bodies()) == 1
    assert list(_answers().order_by("id").values_list("status", flat=True)) == ["queued", "sent"]
    assert auto_reply_deliver(log_id=answer.id).status == "failed"


@responses.activate
def test_a_test_send_takes_the_same_token_and_is_refused_429_when_there_is_none():
    shop = funded_shop(10, sender=OUR_NUMBER)
    campaign = sending_campaign(shop)
    responses.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})
    api = api_for(shop)

    assert api.post(f"/api/v1/campaigns/{campaign.id}/test", {"phone": PHONE}, format="json").status_code == 200
    refused = api.post(f"/api/v1/campaigns/{campaign.id}/test", {"phone": PHONE}, format="json")

    assert (refused.status_code, refused.json()["reason"]) == (429, "rate_limited")
    assert len(responses.calls) == 1
    assert not provider_request_take(shop=shop).allowed
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (9, 0) and ledger_matches(shop)
    assert json.loads(responses.calls[0].request.body)["reference"] == f"t:{campaign.id}"
