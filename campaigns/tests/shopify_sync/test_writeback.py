"""Consent both ways: a reply STOP or START written back to the Shopify simulator over HTTP, and the echo
webhook that follows changes nothing."""

import json

import pytest

from campaigns.models import ConsentEvent, Contact, ShopifyInstall, ShopifyWebhook, ShopSender
from campaigns.services.reports.inbound import inbound_message_handle
from campaigns.services.shopify_sync.sync import shopify_sync_run
from campaigns.services.shopify_sync.sync_start import shopify_sync_start
from campaigns.services.shopify_sync.webhooks import shopify_webhook_process
from campaigns.services.shopify_sync.writeback import shopify_consent_writeback
from campaigns.tests.support.factories import ShopFactory
from messaging.inbound import InboundMessage
from shopify.simulator import ShopifySimulator
from shopify.tokens import encrypt_token

pytestmark = pytest.mark.django_db
SHOP = "writeback.myshopify.com"
SENDER = "+12125559999"


@pytest.fixture
def synced(settings, django_capture_on_commit_callbacks):
    with ShopifySimulator(api_key="client-id", api_secret="wb-secret") as sim:
        for name, value in sim.app_settings().items():
            setattr(settings, name, value)
        token = sim.create_shop(SHOP, customers=40, token=True)["access_token"]
        install = ShopifyInstall.objects.create(shop=ShopFactory(domain=SHOP), access_token=encrypt_token(token))
        with django_capture_on_commit_callbacks(execute=False):
            shopify_sync_start(shop_id=install.shop_id)
        shopify_sync_run(install_id=install.pk)
        yield sim, install


def _sim_customer(sim, contact):
    return sim.shop(SHOP).customers.get(contact.shopify_customer_id)


def _reply(text: str, phone: str, capture, to: str | None = None) -> None:
    with capture(execute=True):
        inbound_message_handle(message=InboundMessage(sender=phone, to=to, text=text))


def _echo(sim, contact, number: int) -> str:
    body = json.dumps(_sim_customer(sim, contact).consent_webhook())
    webhook = ShopifyWebhook.objects.create(webhook_id=f"echo-{number}", topic="customers_marketing_consent/update",
                                            shop_domain=SHOP, body=body)
    return shopify_webhook_process(webhook_pk=webhook.pk)


def test_a_stop_and_a_start_are_written_back_and_their_echoes_change_nothing(synced,
                                                                           django_capture_on_commit_callbacks):
    sim, install = synced
    contact = Contact.objects.filter(shop=install.shop, sms_consent=True).first()
    _reply("STOP", contact.phone, django_capture_on_commit_callbacks)
    assert _sim_customer(sim, contact).state == "UNSUBSCRIBED"
    contact.refresh_from_db()
    before = (contact.sms_consent, contact.opted_out_at, contact.reply_opted_out_at)
    events = ConsentEvent.objects.count()
    assert _echo(sim, contact, 1) == "processed"
    contact.refresh_from_db()
    assert (contact.sms_consent, contact.opted_out_at, contact.reply_opted_out_at) == before
    assert ConsentEvent.objects.count() == events

    ShopSender.objects.create(shop=install.shop, sender=SENDER)
    _reply("START", contact.phone, django_capture_on_commit_callbacks, to=SENDER)
    assert _sim_customer(sim, contact).state == "SUBSCRIBED"
    events = ConsentEvent.objects.count()
    _echo(sim, contact, 2)
    contact.refresh_from_db()
    assert contact.sms_consent and contact.opted_out_at is None and ConsentEvent.objects.count() == events


def test_a_write_back_overtaken_by_a_later_change_is_skipped(synced):
    sim, install = synced
    contact = Contact.objects.filter(shop=install.shop, sms_consent=True).first()
    assert shopify_consent_writeback(contact_id=contact.pk, subscribed=False, at=contact.updated_at) == "skipped"
    assert _sim_customer(sim, contact).state == "SUBSCRIBED"
