"""Both Mitto webhooks under junk: every bad call is a 4xx, no row anywhere changes, and the next good
call is still served (what test_webhook_dlr/inbound do not cover: the real 10 MB limit, junk on the
inbound endpoint, junk with a wrong token, wrong types inside otherwise well-formed reports)."""

import json

import pytest
from django.apps import apps
from django.test import Client

from campaigns.models import CampaignRecipient
from campaigns.tests.support.factories import ContactFactory, ShopFactory
from campaigns.tests.support.report_helpers import campaign_with_recipients, message_id, recipient_ids, send_results

pytestmark = pytest.mark.django_db

DLR, INBOUND = "/webhooks/mitto/dlr", "/webhooks/mitto/inbound"
TOKEN = {"X-Webhook-Token": "test-webhook-secret"}
TEN_MB = 10 * 1024 * 1024
NESTED = "[" * 200_000 + "]" * 200_000
NESTED_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
JUNK = [
    "not json",
    b"\x00\xff\xfe binary",
    "{",
    NESTED,
    NESTED_OBJECT,
    "x" * TEN_MB,
    json.dumps([{"messageId": "M", "deliveryStatus": "Delivered", "pad": "y" * 1000}] * (TEN_MB // 1000)),
]
WRONG_TYPES_DLR = [
    {"messageId": True, "deliveryStatus": "Delivered"},
    {"messageId": None, "deliveryStatus": "Delivered"},
    {"messageId": "", "deliveryStatus": "Delivered"},
    {"deliveryStatus": "Delivered"},
    [{"messageId": {"$gt": ""}, "deliveryStatus": "Delivered"}] * 3,
]
WRONG_TYPES_INBOUND = [
    {"from": True, "text": "STOP"},
    {"from": None, "text": "STOP"},
    {"from": {"x": 1}, "text": "STOP"},
    {"from": "+306912345678", "text": ["STOP"]},
    {"from": "+306912345678", "text": None},
    [],
    None,
]


def row_counts() -> dict[str, int]:
    """Rows of every model of the project's apps (and their latest change markers)."""
    counts = {}
    for label in ("campaigns", "messaging", "metrics"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model.objects.count()
    return counts


def snapshot(campaign, contact):
    contact.refresh_from_db()
    recipients = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id").values_list("status"))
    return row_counts(), recipients, (contact.sms_consent, contact.opted_out_at)


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def world():
    campaign = campaign_with_recipients(3)
    send_results(campaign, sent=recipient_ids(campaign))
    shop = ShopFactory(sender="+306900000001")
    contact = ContactFactory(shop=shop, phone="+306912345678", sms_consent=True, consent_source="api")
    return campaign, contact


def post(client, url, body, headers=TOKEN):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers)


def assert_still_served(client, campaign, contact):
    """The endpoints still work after the junk: a real report and a real STOP are applied."""
    rid = recipient_ids(campaign)[0]
    response = post(client, DLR, {"messageId": message_id(rid), "deliveryStatus": "Delivered"})
    assert response.status_code == 202 and response.json()["applied"] == 1
    assert post(client, INBOUND, {"from": contact.phone, "to": "+306900000001", "text": "STOP"}).status_code == 202
    contact.refresh_from_db()
    assert contact.opted_out_at is not None


@pytest.mark.parametrize("url", [DLR, INBOUND])
def test_junk_bodies_are_400_and_change_nothing(client, world, url):
    campaign, contact = world
    before = snapshot(campaign, contact)
    bodies = JUNK + (WRONG_TYPES_DLR if url == DLR else WRONG_TYPES_INBOUND)

    statuses = [post(client, url, body).status_code for body in bodies]

    assert statuses == [400] * len(bodies)
    assert snapshot(campaign, contact) == before
    assert_still_served(client, campaign, contact)


@pytest.mark.parametrize("url", [DLR, INBOUND])
@pytest.mark.parametrize("headers", [{}, {"X-Webhook-Token": "wrong"}, {"X-Webhook-Token": "test-webhook-secret "}])
def test_junk_with_a_wrong_token_is_401_before_the_body_is_read(client, world, url, headers):
    campaign, contact = world
    before = snapshot(campaign, contact)

    statuses = {post(client, url, body, headers=headers).status_code for body in (JUNK[0], NESTED, JUNK[6])}
    good = {"messageId": message_id(recipient_ids(campaign)[0]), "deliveryStatus": "Delivered"}
    statuses.add(post(client, url, good, headers=headers).status_code)

    assert statuses == {401}
    assert snapshot(campaign, contact) == before
