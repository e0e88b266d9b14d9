"""POST /webhooks/shopify: HMAC over the raw body (401 when wrong, nothing stored), stored once per webhook id,
answered 200, then processed by its task: app/uninstalled suspends the shop; other topics wait for replay."""

import json

import pytest
from django.test import Client

from campaigns.models import ShopifyInstall, ShopifyWebhook
from campaigns.tests.support.factories import ShopFactory
from shopify.tokens import encrypt_token
from shopify.webhooks import sign_body

pytestmark = pytest.mark.django_db
URL = "/webhooks/shopify"
SECRET = "webhook-test-secret"
DOMAIN = "merchant.myshopify.com"


@pytest.fixture(autouse=True)
def app_settings(settings):
    settings.SHOPIFY_API_SECRET = SECRET


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def install():
    shop = ShopFactory(domain=DOMAIN)
    return ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token("shpat_x"), scopes="read_customers")


def _post(client, topic, payload, *, webhook_id="w-1", secret=SECRET, raw=None, **headers):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-Webhook-Id": webhook_id,
               "X-Shopify-API-Version": "2026-10", "X-Shopify-Hmac-Sha256": sign_body(body, secret)} | headers
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_a_signed_delivery_is_stored_answered_200_and_processed(client, install, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(client, "app/uninstalled", {"id": 1, "myshopify_domain": DOMAIN})
    assert answer.status_code == 200 and answer.json() == {"ok": True, "duplicate": False}
    webhook = ShopifyWebhook.objects.get()
    assert (webhook.webhook_id, webhook.topic, webhook.shop_domain, webhook.api_version) == (
        "w-1", "app/uninstalled", DOMAIN, "2026-10")
    assert webhook.processed_at is not None and webhook.attempts == 1
    install.refresh_from_db()
    install.shop.refresh_from_db()
    assert not install.connected and not install.shop.is_active


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_wrong_hmac_is_401_and_stores_nothing(client, install, secret):
    answer = _post(client, "app/uninstalled", {"id": 1}, secret=secret)
    assert answer.status_code == 401 and answer.json()["reason"] == "unauthorized"
    assert not ShopifyWebhook.objects.exists()


def test_a_tampered_byte_is_401(client, install):
    body = json.dumps({"id": 1}).encode()
    headers = {"X-Shopify-Topic": "app/uninstalled", "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-Webhook-Id": "w",
               "X-Shopify-Hmac-Sha256": sign_body(body, SECRET)}
    answer = client.post(URL, data=body.replace(b"1", b"2"), content_type="application/json", headers=headers)
    assert answer.status_code == 401 and not ShopifyWebhook.objects.exists()


def test_without_a_configured_secret_everything_is_401(client, install, settings):
    settings.SHOPIFY_API_SECRET = ""
    assert _post(client, "app/uninstalled", {"id": 1}, secret="").status_code == 401


def test_a_repeated_webhook_id_changes_nothing(client, install, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _post(client, "app/uninstalled", {"id": 1})
        again = _post(client, "app/uninstalled", {"id": 1})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert ShopifyWebhook.objects.count() == 1 and len(callbacks) == 1


def test_an_unknown_topic_is_answered_200_and_marked_processed(client, install, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "carts/update", {"id": 1}).status_code == 200
    assert ShopifyWebhook.objects.get().processed_at is not None


def test_a_malformed_body_is_stored_with_its_error_and_left_for_replay(client, install,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "customers/update", None, raw=b"{not json").status_code == 200
    webhook = ShopifyWebhook.objects.get()
    assert webhook.processed_at is None and "not JSON" in webhook.error


def test_a_consent_update_is_stored_then_processed(client, install, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, "customers_marketing_consent/update", {"id": 5, "sms_marketing_consent": None})
    webhook = ShopifyWebhook.objects.get()
    assert webhook.processed_at is not None and webhook.error == ""


@pytest.mark.parametrize("missing", ["X-Shopify-Webhook-Id", "X-Shopify-Topic", "X-Shopify-Shop-Domain"])
def test_a_delivery_without_its_headers_is_400(client, install, missing):
    answer = _post(client, "app/uninstalled", {"id": 1}, **{missing: ""})
    assert answer.status_code == 400 and not ShopifyWebhook.objects.exists()


def test_only_post(client):
    answer = client.get(URL)
    assert answer.status_code == 405 and answer["Allow"] == "POST"


def test_uninstall_for_a_shop_we_do_not_know_is_processed_harmlessly(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "app/uninstalled", {"id": 1}).status_code == 200
    assert ShopifyWebhook.objects.get().processed_at is not None


def test_the_processing_task_is_registered_and_sent_to_the_shopify_queue(client, install, settings, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    from config.celery import app

    sent = []
    task = app.tasks["campaigns.shopify_process_webhook"]
    monkeypatch.setattr(task, "apply_async", lambda args, **options: sent.append((args, options)))
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, "app/uninstalled", {"id": 1})
    assert sent == [([ShopifyWebhook.objects.get().pk], {"queue": settings.CELERY_QUEUE_SHOPIFY})]
    assert "campaigns.shopify_install_setup" in app.tasks
