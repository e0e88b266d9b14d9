"""Customer, consent and privacy webhooks applied to contacts: idempotent, never older over newer, the reply STOP
precedence, a data export, an erasure that leaves no trace of the customer in any table."""

import json

import pytest

from campaigns.models import (
    CampaignRecipient,
    ConsentEvent,
    Contact,
    LinkClick,
    Shop,
    ShopifyDataExport,
    ShopifyInstall,
    ShopifyWebhook,
    SuppressedPhone,
)
from campaigns.services.contacts.suppression import phone_hash
from campaigns.services.shopify_sync import customers
from campaigns.services.shopify_sync.webhooks import shopify_webhook_process
from campaigns.tests.support.factories import CampaignFactory, ShopFactory
from campaigns.tests.support.pii_scan import tables_containing
from messaging.models import MessageLog
from shopify.tokens import encrypt_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["sql", "portable"])
def implementation(request, monkeypatch):
    """Every case runs on PostgreSQL's statement and on the portable path (the demo's SQLite) alike."""
    monkeypatch.setattr(customers, "_portable", lambda: request.param == "portable")
    return request.param
DOMAIN = "topics.myshopify.com"
PHONE = "+12125550123"
_numbers = iter(range(1, 10_000))
OTHER_BODY = json.dumps({"id": 770, "total_price": "7.70", "customer": {"id": 1770, "phone": "+12125550999"}})


@pytest.fixture
def shop():
    shop = ShopFactory(domain=DOMAIN)
    ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token("shpat_x"))
    return shop


def _deliver(topic: str, payload: dict, webhook_id: str | None = None) -> str:
    webhook = ShopifyWebhook.objects.create(webhook_id=webhook_id or f"w-{next(_numbers)}", topic=topic,
                                            shop_domain=DOMAIN, body=json.dumps(payload))
    return shopify_webhook_process(webhook_pk=webhook.pk)


def _customer(updated_at: str, first_name: str = "Ada", phone: str = PHONE) -> dict:
    return {"id": 77, "first_name": first_name, "last_name": "Lovelace", "phone": phone, "updated_at": updated_at}


def _consent(state: str, at: str, phone: str | None = PHONE) -> dict:
    return {"id": 77, "phone": phone, "sms_marketing_consent": {
        "state": state, "opt_in_level": "single_opt_in", "consent_updated_at": at, "consent_collected_from": "OTHER"}}


def test_a_customer_is_created_and_an_older_update_never_overwrites_a_newer_one(shop):
    assert _deliver("customers/update", _customer("2026-11-30T10:00:00-05:00", "Newer")) == "processed"
    assert _deliver("customers/create", _customer("2026-11-29T10:00:00-05:00", "Older")) == "processed"
    contact = Contact.objects.get(shop=shop)
    assert (contact.phone, contact.first_name, contact.shopify_customer_id, contact.sms_consent) == (
        PHONE, "Newer", 77, False)


def test_consent_follows_the_newest_state_and_repeats_change_nothing(shop):
    _deliver("customers_marketing_consent/update", _consent("subscribed", "2026-11-30T10:00:00-05:00"))
    _deliver("customers_marketing_consent/update", _consent("unsubscribed", "2026-11-29T10:00:00-05:00"))
    contact = Contact.objects.get(shop=shop)
    assert contact.sms_consent and contact.opted_out_at is None
    for _ in range(2):
        _deliver("customers_marketing_consent/update", _consent("unsubscribed", "2026-12-01T10:00:00Z"))
    contact.refresh_from_db()
    assert not contact.sms_consent and contact.opted_out_at is not None
    actions = list(ConsentEvent.objects.filter(shop=shop).order_by("id").values_list("action", "source"))
    assert actions == [("granted", "shopify"), ("withdrawn", "shopify")]


def test_pending_waits_for_a_confirmed_opt_in(shop):
    _deliver("customers_marketing_consent/update", _consent("pending", "2026-11-30T10:00:00Z"))
    contact = Contact.objects.get(shop=shop)
    assert not contact.sms_consent and contact.shopify_consent_state == "pending"


def test_a_consent_update_without_a_phone_finds_the_linked_contact(shop):
    _deliver("customers/create", _customer("2026-11-30T10:00:00Z"))
    _deliver("customers_marketing_consent/update", _consent("subscribed", "2026-11-30T10:00:00Z", phone=None))
    assert Contact.objects.get(shop=shop).sms_consent


def test_a_reply_stop_wins_over_an_older_subscribed_but_not_a_newer_one(shop):
    Contact.objects.create(shop=shop, phone=PHONE, sms_consent=False, consent_source="sms_reply",
                           opted_out_at="2026-11-30T12:00:00Z", reply_opted_out_at="2026-11-30T12:00:00Z")
    _deliver("customers_marketing_consent/update", _consent("subscribed", "2026-11-30T11:00:00Z"))
    assert not Contact.objects.get(shop=shop).sms_consent
    _deliver("customers_marketing_consent/update", _consent("subscribed", "2026-11-30T13:00:00Z"))
    assert Contact.objects.get(shop=shop).sms_consent


def test_a_deleted_customer_loses_consent_and_its_link(shop):
    _deliver("customers_marketing_consent/update", _consent("subscribed", "2026-11-30T10:00:00Z"))
    for _ in range(2):
        _deliver("customers/delete", {"id": 77})
    contact = Contact.objects.get(shop=shop)
    assert (contact.sms_consent, contact.shopify_customer_id) == (False, None)
    assert ConsentEvent.objects.filter(shop=shop, action="withdrawn").count() == 1


def _customer_everywhere(shop) -> Contact:
    _deliver("customers/create", _customer("2026-11-30T10:00:00Z", "Grace"))
    _deliver("customers_marketing_consent/update", _consent("subscribed", "2026-11-30T10:00:00Z"))
    contact = Contact.objects.get(shop=shop)
    campaign = CampaignFactory(shop=shop)
    recipient = CampaignRecipient.objects.create(campaign=campaign, contact=contact, phone=PHONE, batch_no=0,
                                                 status="sent")
    LinkClick.objects.create(key=1, campaign=campaign, recipient_id=recipient.pk, position=0,
                             clicked_at="2026-12-01T10:00:00Z")
    MessageLog.objects.create(shop=shop, direction="in", kind="reply", phone=PHONE, text="STOP Grace")
    return contact


def test_a_data_request_exports_what_we_hold(shop):
    _customer_everywhere(shop)
    _deliver("customers/data_request", {"shop_domain": DOMAIN, "customer": {"id": 77, "phone": PHONE},
                                        "data_request": {"id": 9}}, webhook_id="dr-1")
    export = ShopifyDataExport.objects.get(shop=shop)
    assert (export.customer_id, export.request_id) == (77, 9)
    assert export.data["contacts"][0]["first_name"] == "Grace"
    assert len(export.data["consent_history"]) == 1 and len(export.data["campaign_messages"]) == 1
    assert export.data["other_messages"][0]["text"] == "STOP Grace"
    assert len(export.data["link_clicks"]) == 1


def test_a_redacted_customer_leaves_no_trace_in_any_table(shop):
    contact = _customer_everywhere(shop)
    _deliver("orders/create", json.loads(OTHER_BODY), webhook_id="other")
    before = {table for table, _, _ in tables_containing([PHONE, "Grace"])}
    assert {"campaigns_contact", "campaigns_campaignrecipient", "messaging_messagelog"} <= before
    _deliver("customers/redact", {"shop_domain": DOMAIN, "customer": {"id": 77, "phone": PHONE}})
    assert tables_containing([PHONE, PHONE[1:], "Grace", "Lovelace"]) == []
    assert ShopifyWebhook.objects.get(webhook_id="other").body == OTHER_BODY  # another customer's stays
    contact.refresh_from_db()
    assert not contact.sms_consent and CampaignRecipient.objects.count() == 1
    assert SuppressedPhone.objects.filter(shop=shop, phone_hash=phone_hash(PHONE)).exists()
    _deliver("customers/create", _customer("2026-12-01T10:00:00Z", "Grace"))
    _deliver("customers_marketing_consent/update", _consent("subscribed", "2026-12-01T10:00:00Z"))
    assert not Contact.objects.filter(phone=PHONE).exists()


def test_shop_redact_erases_the_shop_once_uninstalled(shop):
    _customer_everywhere(shop)
    _deliver("shop/redact", {"shop_domain": DOMAIN})
    assert Shop.objects.filter(domain=DOMAIN).exists()
    _deliver("app/uninstalled", {"domain": DOMAIN})
    _deliver("shop/redact", {"shop_domain": DOMAIN})
    assert not Shop.objects.filter(domain=DOMAIN).exists()
    assert tables_containing([PHONE, "Grace"]) == []
