"""Who a reply reaches is decided by the sender registry alone: a shop's own sender reaches that shop, never
another that names it; on the shared fallback sender a STOP reaches the shops that messaged the phone from it, a
START only where a reply to it opted the phone out, a HELP gets one platform answer. Answers (HELP, the STOP
confirmation) are sent by a task after the webhook's commit, once, through the rate limits."""

import json
from contextlib import nullcontext
from datetime import timedelta

import pytest
import responses
from django.conf import settings
from django.test import Client
from django.utils import timezone

from campaigns.models import CampaignRecipient, ConsentEvent, Contact
from campaigns.services.contacts.optout import contacts_opt_out
from campaigns.services.reports.auto_reply import auto_reply_deliver
from campaigns.services.sending.gateway import provider_request_take, sender_of
from campaigns.tasks import send_auto_reply
from campaigns.tests.support.factories import CampaignFactory, ContactFactory, ShopFactory
from campaigns.tests.support.send_helpers import api_for
from messaging.models import MessageLog

pytestmark = pytest.mark.django_db

PHONE = "+306912345678"
SHOP_B_NUMBER = "+306900000002"
FALLBACK = "+306900000005"
SEND_URL = f"{settings.MITTO_API_BASE}/api/v1.1/Messages/send"


@pytest.fixture
def mitto():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, SEND_URL, json={"messageId": "auto-1", "trafficAccountId": "acct"})
        yield mock


def sent(mitto) -> list[dict]:
    return [json.loads(call.request.body) for call in mitto.calls if call.request.url == SEND_URL]


def reply(text, to, capture=None):
    """Post a reply; with `capture` (django_capture_on_commit_callbacks) what it publishes after commit runs."""
    body = {"from": PHONE, "to": to, "text": text}
    with capture(execute=True) if capture else nullcontext():
        return Client().post("/webhooks/mitto/inbound", data=json.dumps(body), content_type="application/json",
                             headers={"X-Webhook-Token": "test-webhook-secret"})


def messageable(contact) -> bool:
    contact = Contact.objects.get(id=contact.id)
    return contact.sms_consent and contact.opted_out_at is None


def messaged(shop, contact, sender=""):
    """A campaign of `shop` (from `sender`) sent to `contact`, its sender fixed as enqueue fixes it."""
    campaign = CampaignFactory(shop=shop, sender=sender, status="completed")
    campaign.sent_from = sender_of(campaign)
    campaign.save(update_fields=["sent_from"])
    CampaignRecipient.objects.create(campaign=campaign, contact=contact, phone=contact.phone, batch_no=0,
                                     status="sent")


# --- tenancy: a shop never receives another shop's replies ---------------------------------------------------

def test_a_shop_naming_another_shops_sender_is_refused_and_never_gets_its_replies(
    mitto, django_capture_on_commit_callbacks
):
    shop_a, shop_b = ShopFactory(sender="ShopA"), ShopFactory(sender=SHOP_B_NUMBER.lstrip("+"), name="Shop B")
    ours, theirs = ContactFactory(shop=shop_a, phone=PHONE), ContactFactory(shop=shop_b, phone=PHONE)
    refused = api_for(shop_a).post("/api/v1/campaigns/", {"name": "x", "body": "Hi", "sender": shop_b.sender},
                                   format="json")
    assert (refused.status_code, refused.json()["reason"]) == (400, "invalid_sender")
    CampaignFactory(shop=shop_a, sender=shop_b.sender)  # a row from before the registry: it routes nothing
    contacts_opt_out(phone=PHONE, shop_ids=[shop_a.id], text="STOP", now=timezone.now(), sender="ShopA")

    reply("START", SHOP_B_NUMBER, django_capture_on_commit_callbacks)
    reply("STOP", SHOP_B_NUMBER, django_capture_on_commit_callbacks)
    reply("HELP", SHOP_B_NUMBER, django_capture_on_commit_callbacks)

    assert not messageable(ours) and not messageable(theirs)
    assert not ConsentEvent.objects.filter(shop=shop_a, source="sms_reply", action="granted").exists()
    assert ConsentEvent.objects.filter(shop=shop_a).count() == 1  # only its own STOP
    assert MessageLog.objects.filter(shop=shop_a).count() == 0
    assert [body["sms"]["text"].split(":")[0] for body in sent(mitto)] == ["Shop B", "Shop B"]


# --- the shared fallback sender ------------------------------------------------------------------------------

@pytest.fixture
def fallback_shops(settings):
    """X and Y send from the fallback; X messaged PHONE from it, Y has PHONE and never did; Z has its own
    sender and messaged PHONE from it."""
    settings.MITTO_SENDER = FALLBACK
    x, y = ShopFactory(sender="", name="Shop X"), ShopFactory(sender="", name="Shop Y")
    z = ShopFactory(sender="306900000006", name="Shop Z")
    contacts = {shop.name[-1]: ContactFactory(shop=shop, phone=PHONE) for shop in (x, y, z)}
    messaged(x, contacts["X"])
    messaged(z, contacts["Z"])
    return contacts


def test_a_stop_on_the_fallback_reaches_the_shops_that_messaged_from_it_and_is_confirmed_once(
    fallback_shops, mitto, django_capture_on_commit_callbacks
):
    response = reply("STOP", FALLBACK, django_capture_on_commit_callbacks)
    assert response.json()["contacts"] == 1
    assert not messageable(fallback_shops["X"])
    assert messageable(fallback_shops["Y"]) and messageable(fallback_shops["Z"])
    [body] = sent(mitto)
    assert body["sms"] == {"text": "Shop X: you are unsubscribed and will get no more messages from this number. "
                                   "Reply START to resubscribe.", "sender": FALLBACK}


def test_a_stop_on_the_fallback_reaches_a_shop_that_registered_its_own_sender_since(fallback_shops):
    x = fallback_shops["X"]
    x.shop.sender = "ShopX"  # X's campaign went out from the fallback; X has its own sender now
    x.shop.save(update_fields=["sender"])
    reply("STOP", FALLBACK)
    assert not messageable(x)


def test_a_test_send_from_the_fallback_counts_as_messaging(fallback_shops):
    y = fallback_shops["Y"]
    MessageLog.objects.create(shop_id=y.shop_id, direction="out", kind="test", phone=PHONE, sender=FALLBACK,
                              status="sent")
    reply("STOP", FALLBACK)
    assert not messageable(y) and not messageable(fallback_shops["X"])


def test_a_start_on_the_fallback_resubscribes_only_where_a_reply_to_it_opted_out(fallback_shops):
    x, y, z = fallback_shops["X"], fallback_shops["Y"], fallback_shops["Z"]
    reply("STOP", FALLBACK)                       # X
    reply("STOP", "+306900000006")                # Z, on its own sender
    api_for(y.shop).post("/api/v1/contacts/", {"phone": PHONE, "sms_consent": False}, format="json")

    assert reply("START", FALLBACK).json()["contacts"] == 1
    assert messageable(x)
    assert not messageable(y) and not messageable(z)


def test_help_on_the_fallback_gets_one_platform_answer_not_one_per_shop(
    fallback_shops, mitto, settings, django_capture_on_commit_callbacks
):
    settings.PLATFORM_HELP_TEXT = "Shop SMS: texts from shops you joined. Reply STOP to opt out."
    reply("HELP", FALLBACK, django_capture_on_commit_callbacks)
    reply("info", FALLBACK, django_capture_on_commit_callbacks)
    [body] = sent(mitto)
    assert body["sms"] == {"text": settings.PLATFORM_HELP_TEXT, "sender": FALLBACK}
    answer = MessageLog.objects.get(direction="out")
    assert (answer.kind, answer.shop_id, answer.status) == ("help", None, "sent")


def test_a_platform_answer_takes_the_platform_tenants_token(fallback_shops, mitto, settings,
                                                            django_capture_on_commit_callbacks):
    settings.RATE_LIMIT_TENANT_MAX, settings.RATE_LIMIT_TENANT_WINDOW_MS = 1, 60_000
    assert provider_request_take(shop=None).allowed
    with django_capture_on_commit_callbacks(execute=False):
        reply("HELP", FALLBACK)
    answer = MessageLog.objects.get(direction="out")
    assert auto_reply_deliver(log_id=answer.id).status == "waiting"
    assert sent(mitto) == []


def test_a_sender_ops_registered_to_two_shops_follows_the_shared_rules(mitto, django_capture_on_commit_callbacks):
    first, second = ShopFactory(sender="Agency", name="First"), ShopFactory(sender="Agency", name="Second")
    ShopFactory(sender="Agency", name="Third")  # shares the sender, never had the phone: not named
    contacts = [ContactFactory(shop=shop, phone=PHONE) for shop in (first, second)]
    reply("HELP", "Agency", django_capture_on_commit_callbacks)
    reply("STOP", "Agency", django_capture_on_commit_callbacks)
    assert not any(messageable(contact) for contact in contacts)
    assert [body["sms"]["text"] for body in sent(mitto)] == [
        settings.PLATFORM_HELP_TEXT,
        "First, Second: you are unsubscribed and will get no more messages from this number. Reply START to "
        "resubscribe.",
    ]


# --- the confirmation: one SMS, after commit, once ------------------------------------------------------------

@pytest.fixture
def shop_b():
    shop = ShopFactory(sender=SHOP_B_NUMBER, name="Shop B")
    ContactFactory(shop=shop, phone=PHONE)
    return shop


def test_the_confirmation_is_sent_by_a_task_after_commit_never_inside_the_webhook(
    shop_b, mitto, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as published:
        reply("Stop texting me", SHOP_B_NUMBER)
    assert sent(mitto) == []  # the webhook answered; nothing went to Mitto inside it
    assert MessageLog.objects.get(kind="stop_confirm").status == "queued"
    for callback in published:
        callback()
    [body] = sent(mitto)
    assert body["sms"]["text"] == "Shop B: you are unsubscribed and will get no more messages from this number. " \
                                  "Reply START to resubscribe."
    assert MessageLog.objects.get(kind="stop_confirm").status == "sent"


def test_the_shops_own_confirmation_text_and_a_task_run_twice_sends_once(shop_b, mitto,
                                                                        django_capture_on_commit_callbacks):
    shop_b.stop_confirmation_text = "Shop B: no more texts. Text START to come back."
    shop_b.save()
    with django_capture_on_commit_callbacks(execute=False):
        reply("STOP", SHOP_B_NUMBER)
    row = MessageLog.objects.get(kind="stop_confirm")
    assert send_auto_reply.apply(args=[row.id]).get() == "sent"
    assert send_auto_reply.apply(args=[row.id]).get() == "skipped"
    assert [body["sms"]["text"] for body in sent(mitto)] == ["Shop B: no more texts. Text START to come back."]


def test_the_same_inbound_posted_twice_changes_consent_once_and_answers_once(
    shop_b, mitto, django_capture_on_commit_callbacks
):
    contact = Contact.objects.get(shop=shop_b)
    for _ in range(2):
        reply("STOP", SHOP_B_NUMBER, django_capture_on_commit_callbacks)
    first_out = Contact.objects.get(id=contact.id).opted_out_at
    for _ in range(2):
        reply("HELP", SHOP_B_NUMBER, django_capture_on_commit_callbacks)
    assert [body["sms"]["text"].startswith("Shop B: you are unsubscribed") for body in sent(mitto)] == [True, False]
    assert not messageable(contact) and Contact.objects.get(id=contact.id).opted_out_at == first_out

    for _ in range(2):
        reply("START", SHOP_B_NUMBER)
    assert messageable(contact)
    granted = ConsentEvent.objects.filter(contact=contact, source="sms_reply", action="granted")
    assert granted.count() == 1


def test_a_stop_the_next_day_is_confirmed_again(shop_b, mitto, django_capture_on_commit_callbacks):
    reply("STOP", SHOP_B_NUMBER, django_capture_on_commit_callbacks)
    yesterday = timezone.now() - timedelta(days=1, seconds=1)
    MessageLog.objects.filter(kind="stop_confirm").update(created_at=yesterday)
    reply("STOP", SHOP_B_NUMBER, django_capture_on_commit_callbacks)
    assert len(sent(mitto)) == 2
