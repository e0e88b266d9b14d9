"""Which replies opt out, opt back in, ask for help or do nothing (messaging/inbound.py's word rule), each posted
to the inbound webhook as a customer would send it, the contact's consent read back afterwards."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Contact
from campaigns.services.contacts.optout import contacts_opt_out
from campaigns.tests.support.factories import ContactFactory, ShopFactory

pytestmark = pytest.mark.django_db

PHONE = "+306912345678"
OUR_NUMBER = "+306900000001"
OPT_OUT, OPT_IN, HELP, NOTHING = "opt-out", "opt-in", "help", "nothing"

REPLIES = [
    ("STOP", OPT_OUT),
    ("stop", OPT_OUT),
    ("Stop.", OPT_OUT),
    ("STOP!!!", OPT_OUT),
    ("Quit", OPT_OUT),
    ("END", OPT_OUT),
    ("revoke", OPT_OUT),
    ("Opt out", OPT_OUT),
    ("opt-out", OPT_OUT),
    ("OPTOUT", OPT_OUT),
    ("Cancel", OPT_OUT),
    ("UNSUBSCRIBE", OPT_OUT),
    ("StopAll", OPT_OUT),
    ("Stop texting me", OPT_OUT),
    ("please unsubscribe", OPT_OUT),
    ("Please stop sending me these", OPT_OUT),
    ("unsubscribe me from this list", OPT_OUT),
    ("I want to opt out", OPT_OUT),
    ("cancel these texts please", OPT_OUT),
    ("Quit messaging me", OPT_OUT),
    ("end the messages", OPT_OUT),
    ("STOP it now", OPT_OUT),
    ("stop 🙏", OPT_OUT),
    ("START", OPT_IN),
    ("start", OPT_IN),
    ("Unstop", OPT_IN),
    ("HELP", HELP),
    ("info", HELP),
    ("Help?", HELP),
    ("Cancel my order please", NOTHING),
    ("When does the sale end?", NOTHING),
    ("Don't stop, I love these deals", NOTHING),
    ("Thanks! See you at the end of the week for the sale, can't wait to shop it", NOTHING),
    ("Does the stop sign deal still apply to orders placed before the weekend sale started", NOTHING),
    ("Who is this?", NOTHING),
    ("👍", NOTHING),
    ("", NOTHING),
    ("S T O P", NOTHING),
    ("start my order", NOTHING),
    ("I need help with my order", NOTHING),
    ("Stopped by the store today", NOTHING),
]


@pytest.fixture
def contact():
    shop = ShopFactory(sender=OUR_NUMBER)
    return ContactFactory(shop=shop, phone=PHONE, sms_consent=True)


def _post(text):
    body = {"from": PHONE, "to": OUR_NUMBER, "text": text}
    return Client().post("/webhooks/mitto/inbound", data=json.dumps(body), content_type="application/json",
                         headers={"X-Webhook-Token": "test-webhook-secret"})


def test_the_table_is_big_enough_and_covers_every_outcome():
    assert len(REPLIES) >= 30
    assert {outcome for _, outcome in REPLIES} == {OPT_OUT, OPT_IN, HELP, NOTHING}


@pytest.mark.parametrize(("text", "outcome"), REPLIES)
def test_a_reply_has_its_outcome(contact, text, outcome):
    if outcome == OPT_IN:
        contacts_opt_out(phone=PHONE, shop_ids=[contact.shop_id], text="STOP", now=timezone.now(), sender=OUR_NUMBER)
    response = _post(text)
    assert response.status_code == 202
    keyword = {OPT_OUT: "stop", OPT_IN: "start", HELP: "help", NOTHING: None}[outcome]
    assert response.json()["keyword"] == keyword
    contact = Contact.objects.get(id=contact.id)
    messageable = contact.sms_consent and contact.opted_out_at is None
    assert messageable == (outcome != OPT_OUT)
