"""POST /webhooks/mitto/inbound: STOP opts out, START opts back in, every message is logged."""

import json

import pytest
from django.test import Client

from campaigns.models import ConsentEvent, Contact
from campaigns.tests.support.factories import ContactFactory, ShopFactory
from messaging.models import MessageLog

pytestmark = pytest.mark.django_db

URL = "/webhooks/mitto/inbound"
TOKEN = {"X-Webhook-Token": "test-webhook-secret"}
PHONE = "+306912345678"
OUR_NUMBER = "+306900000001"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def shop():
    return ShopFactory(sender=OUR_NUMBER)


@pytest.fixture
def contact(shop):
    return ContactFactory(shop=shop, phone=PHONE, sms_consent=True, consent_source="api")


def _post(client, body, headers=TOKEN):
    return client.post(URL, data=json.dumps(body), content_type="application/json", headers=headers)


def _reply(text, to=OUR_NUMBER, sender=PHONE):
    body = {"from": sender, "text": text}
    if to is not None:
        body["to"] = to
    return body


def _opted_out(contact):
    contact.refresh_from_db()
    return not contact.sms_consent and contact.opted_out_at is not None


def _messageable(shop):
    """The audience rule every enqueue applies."""
    return set(
        Contact.objects.filter(shop=shop, sms_consent=True, opted_out_at__isnull=True).values_list("phone", flat=True)
    )


@pytest.mark.parametrize("text", ["STOP", " stop\n", "Unsubscribe", "cancel", "END", "quit", "StopAll"])
def test_a_stop_keyword_opts_the_contact_out(client, shop, contact, text):
    response = _post(client, _reply(text))

    assert response.status_code == 202
    assert response.json() == {"ok": True, "keyword": "stop", "contacts": 1}
    assert _opted_out(contact) and contact.consent_source == "sms_reply"
    event = ConsentEvent.objects.get(contact=contact)
    assert (event.shop, event.phone, event.action, event.source, event.detail) == (
        shop,
        PHONE,
        "withdrawn",
        "sms_reply",
        text,
    )
    log = MessageLog.objects.get(direction="in")
    assert (log.direction, log.kind, log.phone, log.sender, log.text, log.shop) == (
        "in",
        "stop",
        PHONE,
        OUR_NUMBER,
        text,
        shop,
    )
    assert PHONE not in _messageable(shop)


def test_only_shops_sending_from_that_number_are_concerned(client, shop, contact):
    other = ContactFactory(shop=ShopFactory(sender="+306900000002"), phone=PHONE)
    _post(client, _reply("STOP"))
    assert _opted_out(contact)
    assert not _opted_out(other)


def test_a_number_without_plus_matches(client, shop, contact):
    response = _post(client, _reply("stop", to=OUR_NUMBER.lstrip("+"), sender=PHONE.lstrip("+")))
    assert response.json()["contacts"] == 1
    assert _opted_out(contact)


@pytest.mark.parametrize("to", [None, "+306999999999"])
def test_stop_to_an_unknown_number_opts_out_in_every_shop_that_has_the_phone(client, to):
    contacts = [ContactFactory(shop=ShopFactory(sender=f"+30690000001{i}"), phone=PHONE) for i in range(3)]
    stranger = ContactFactory(phone="+306912345679")
    response = _post(client, _reply("STOP", to=to))
    assert response.json()["contacts"] == 3
    assert all(_opted_out(contact) for contact in contacts)
    assert not _opted_out(stranger)
    assert MessageLog.objects.get().shop is None


def test_start_opts_back_in(client, shop, contact):
    _post(client, _reply("STOP"))
    response = _post(client, _reply("Unstop"))
    assert response.json() == {"ok": True, "keyword": "start", "contacts": 1}
    contact.refresh_from_db()
    assert contact.sms_consent and contact.opted_out_at is None and contact.consent_source == "sms_reply"
    assert list(ConsentEvent.objects.order_by("id").values_list("action", flat=True)) == ["withdrawn", "granted"]
    assert PHONE in _messageable(shop)


def test_start_to_an_unknown_number_grants_nothing(client, shop, contact):
    _post(client, _reply("STOP"))
    response = _post(client, _reply("START", to=None))
    assert response.json()["contacts"] == 0
    assert _opted_out(contact)


def test_a_repeated_stop_keeps_the_first_opt_out_time(client, shop, contact):
    _post(client, _reply("STOP"))
    first = Contact.objects.get(id=contact.id).opted_out_at
    _post(client, _reply("STOP"))
    assert Contact.objects.get(id=contact.id).opted_out_at == first
    assert ConsentEvent.objects.filter(contact=contact, action="withdrawn").count() == 2


@pytest.mark.parametrize(
    ("text", "kind"), [("cancel my order", "reply"), ("STOPP", "reply"), ("", "reply")]
)
def test_other_texts_are_only_logged(client, shop, contact, text, kind):
    response = _post(client, _reply(text))
    assert response.status_code == 202
    assert response.json()["contacts"] == 0
    assert not _opted_out(contact)
    assert MessageLog.objects.get().kind == kind
    assert not ConsentEvent.objects.exists()


def test_a_wrong_token_is_401_and_changes_nothing(client, shop, contact):
    response = _post(client, _reply("STOP"), headers={"X-Webhook-Token": "nope"})
    assert response.status_code == 401
    assert not _opted_out(contact)
    assert not MessageLog.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        [{"from": PHONE, "text": "STOP"}],
        {"text": "STOP"},
        {"from": PHONE},
        {"from": PHONE, "text": 5},
        {"from": PHONE, "text": "STOP", "to": ["x"]},
        "STOP",
        7,
    ],
)
def test_a_malformed_inbound_message_is_400(client, shop, contact, body):
    response = _post(client, body)
    assert response.status_code == 400
    assert response.json()["reason"] == "malformed_payload"
    assert not _opted_out(contact)
    assert not MessageLog.objects.exists()
