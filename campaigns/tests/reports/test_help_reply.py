"""HELP/INFO replies: one automatic answer per contact and shop per day, through Mitto's single send."""

import json
from datetime import timedelta

import pytest
import responses
from django.conf import settings
from django.test import Client, TestCase

from campaigns.tests.support.factories import ContactFactory, ShopFactory
from messaging.models import MessageLog

pytestmark = pytest.mark.django_db

URL = "/webhooks/mitto/inbound"
SEND_URL = f"{settings.MITTO_API_BASE}/api/v1.1/Messages/send"
PHONE = "+306912345678"
OUR_NUMBER = "+306900000001"


@pytest.fixture
def shop():
    shop = ShopFactory(sender=OUR_NUMBER, name="Olive Grove", help_text="Questions? hello@olive.example")
    ContactFactory(shop=shop, phone=PHONE, sms_consent=True)
    return shop


def _reply(text):
    """Post the reply; what it publishes after commit (the answer's task, eager here) runs as in production."""
    body = {"from": PHONE, "to": OUR_NUMBER, "text": text}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post(URL, data=json.dumps(body), content_type="application/json",
                             headers={"X-Webhook-Token": "test-webhook-secret"})


def _mitto_single_send():
    responses.add(responses.POST, SEND_URL, json={"messageId": "help-1", "trafficAccountId": "acct"}, status=200)


def _sent_bodies():
    return [json.loads(call.request.body) for call in responses.calls if call.request.url == SEND_URL]


@responses.activate
def test_help_is_answered_with_the_shops_name_and_how_to_stop(shop):
    _mitto_single_send()

    assert _reply("HELP").status_code == 202

    [body] = _sent_bodies()
    assert body["destination"] == PHONE
    assert body["sms"] == {
        "text": "Olive Grove: Questions? hello@olive.example Reply STOP to opt out.", "sender": OUR_NUMBER,
    }
    log = MessageLog.objects.get(kind="help", direction="out")
    assert (log.shop_id, log.phone, log.status, log.mitto_message_id) == (shop.id, PHONE, "sent", "help-1")
    assert MessageLog.objects.filter(kind="help", direction="in").count() == 1


@responses.activate
def test_help_is_answered_once_a_day(shop):
    _mitto_single_send()

    _reply("HELP")
    _reply("info")
    assert len(_sent_bodies()) == 1
    assert MessageLog.objects.filter(kind="help", direction="out").count() == 1

    MessageLog.objects.filter(kind="help", direction="out").update(
        created_at=MessageLog.objects.get(kind="help", direction="out").created_at - timedelta(days=1, seconds=1)
    )
    _reply("HELP")
    assert len(_sent_bodies()) == 2


@responses.activate
def test_a_failed_answer_does_not_use_up_the_day(shop):
    responses.add(responses.POST, SEND_URL, json={"error": "bad"}, status=400)
    _reply("HELP")
    assert MessageLog.objects.get(kind="help", direction="out").status == "failed"

    responses.replace(responses.POST, SEND_URL, json={"messageId": "help-2"}, status=200)
    _reply("HELP")
    assert MessageLog.objects.filter(kind="help", direction="out", status="sent").count() == 1


@responses.activate
def test_a_default_answer_when_the_shop_has_no_help_text(shop):
    shop.help_text = ""
    shop.save()
    _mitto_single_send()

    _reply("HELP")

    text = _sent_bodies()[0]["sms"]["text"]
    assert text.startswith("Olive Grove: ") and text.endswith("Reply STOP to opt out.")
