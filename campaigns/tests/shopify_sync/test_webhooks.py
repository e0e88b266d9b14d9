"""Processing stored Shopify webhooks: at most once per row, whatever runs it; replay of the unprocessed ones."""

import io

import pytest
from django.core.management import call_command

from campaigns.models import ShopifyInstall, ShopifyWebhook
from campaigns.services.shopify_sync.webhooks import _HANDLERS, NOT_YET, shopify_webhook_process
from campaigns.tests.support.factories import ShopFactory
from config.celery import app
from shopify.records import ConsentUpdate
from shopify.tokens import encrypt_token

pytestmark = pytest.mark.django_db
DOMAIN = "merchant.myshopify.com"


@pytest.fixture
def install():
    return ShopifyInstall.objects.create(shop=ShopFactory(domain=DOMAIN), access_token=encrypt_token("shpat_x"))


def _stored(webhook_id: str, topic: str, body: str = '{"id": 1}') -> ShopifyWebhook:
    return ShopifyWebhook.objects.create(webhook_id=webhook_id, topic=topic, shop_domain=DOMAIN, body=body)


@pytest.fixture
def sent(monkeypatch):
    """The ids the processing task was sent (instead of running it)."""
    ids = []
    monkeypatch.setattr(app.tasks["campaigns.shopify_process_webhook"], "apply_async",
                        lambda args, **options: ids.append(args[0]))
    return ids


def test_processing_twice_applies_once(install):
    webhook = _stored("w-1", "app/uninstalled")
    assert shopify_webhook_process(webhook_pk=webhook.pk) == "processed"
    assert shopify_webhook_process(webhook_pk=webhook.pk) == "done_already"
    webhook.refresh_from_db()
    install.refresh_from_db()
    assert webhook.attempts == 1 and webhook.processed_at is not None and not install.connected


@pytest.mark.parametrize(("topic", "body", "outcome", "processed", "error"), [
    ("carts/update", "{}", "unknown_topic", True, ""),
    ("customers/update", "{not json", "malformed", False, "the customers/update body is not JSON"),
    ("customers_marketing_consent/update", '{"id": 5}', "processed", True, ""),
])
def test_what_becomes_of_each_kind_of_delivery(install, topic, body, outcome, processed, error):
    webhook = _stored("w-1", topic, body)
    assert shopify_webhook_process(webhook_pk=webhook.pk) == outcome
    webhook.refresh_from_db()
    assert (webhook.processed_at is not None, webhook.error) == (processed, error)


def test_a_parsed_topic_without_a_handler_waits_for_replay(install, monkeypatch):
    monkeypatch.delitem(_HANDLERS, ConsentUpdate)
    webhook = _stored("w-1", "customers_marketing_consent/update", '{"id": 5}')
    assert shopify_webhook_process(webhook_pk=webhook.pk) == "deferred"
    webhook.refresh_from_db()
    assert (webhook.processed_at, webhook.error) == (None, NOT_YET)


def test_replay_sends_only_unprocessed_deliveries_again(install, sent):
    done = _stored("done", "app/uninstalled")
    shopify_webhook_process(webhook_pk=done.pk)
    waiting = [_stored("waiting-1", "customers/update"), _stored("waiting-2", "orders/create")]
    out = io.StringIO()
    call_command("shopify_replay_webhooks", "--topic", "Orders/Create", stdout=out)
    assert sent == [waiting[1].pk] and out.getvalue().startswith("1 ")
    call_command("shopify_replay_webhooks", "--limit", "5", stdout=out)
    assert sent[1:] == [row.pk for row in waiting]
