"""GET /shopify/install and /shopify/callback against the Shopify simulator over HTTP: a good install stores the
shop and its encrypted token and subscribes the webhooks; a bad shop, hmac or state stores nothing; uninstall
suspends and drops the token; a reinstall works."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from campaigns.models import Shop, ShopifyInstall
from campaigns.services.shopify_sync.install import SUBSCRIBED_TOPICS, shopify_client, shopify_uninstalled
from campaigns.tests.support.factories import ShopFactory
from shopify.oauth import query_hmac
from shopify.simulator import ShopifySimulator
from shopify.tokens import decrypt_token

pytestmark = pytest.mark.django_db
SECRET = "install-test-secret"
SHOP = "merchant.myshopify.com"


@pytest.fixture(autouse=True)
def sim(settings):
    """The simulator, and this process's Shopify settings pointing at it."""
    with ShopifySimulator(api_key="client-id", api_secret=SECRET) as simulator:
        for name, value in simulator.app_settings().items():
            setattr(settings, name, value)
        yield simulator


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def _signed(**params) -> dict:
    params = {"shop": SHOP, "timestamp": str(int(time.time()))} | params
    return params | {"hmac": query_hmac(params, SECRET)}


def _install(client, sim, django_capture_on_commit_callbacks) -> dict:
    """Run the whole install: our install view, the simulator's authorize redirect, our callback."""
    started = client.get("/shopify/install", _signed())
    assert started.status_code == 302
    approved = requests.get(started["Location"], allow_redirects=False, timeout=5)
    back = urlsplit(approved.headers["Location"])
    assert back.path == "/shopify/callback"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.get("/shopify/callback", {k: v[0] for k, v in parse_qs(back.query).items()})
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_install_creates_the_shop_stores_the_token_encrypted_and_subscribes(client, sim,
                                                                            django_capture_on_commit_callbacks):
    assert _install(client, sim, django_capture_on_commit_callbacks) == {"ok": True, "shop": SHOP,
                                                                          "installed": True}
    install = ShopifyInstall.objects.select_related("shop").get(shop__domain=SHOP)
    token = decrypt_token(install.access_token)
    assert sim.shop(SHOP).token_valid(token) and token not in install.access_token
    assert install.connected and install.token_expires_at and install.refresh_token
    assert install.scopes == "read_customers,write_customers,read_orders"
    assert sorted(sim.shop(SHOP).subscriptions) == sorted(SUBSCRIBED_TOPICS)
    assert set(sum(sim.shop(SHOP).subscriptions.values(), [])) == {"https://app.example/webhooks/shopify"}
    assert install.webhooks_registered_at is not None


def test_install_links_an_existing_shop(client, sim, django_capture_on_commit_callbacks):
    existing = ShopFactory(domain=SHOP)
    _install(client, sim, django_capture_on_commit_callbacks)
    assert ShopifyInstall.objects.get().shop == existing and Shop.objects.count() == 1


def test_install_redirects_to_shopify_with_our_scopes_and_a_state(client, sim):
    answer = client.get("/shopify/install", _signed())
    location = urlsplit(answer["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == f"/{SHOP}/admin/oauth/authorize"
    assert query["client_id"] == "client-id" and query["redirect_uri"] == "https://app.example/shopify/callback"
    assert len(query["state"]) >= 32


@pytest.mark.parametrize(("params", "status", "reason"), [
    ({"shop": "evil.example.com"}, 400, "invalid_shop"),
    ({"hmac": "0" * 64}, 401, "invalid_hmac"),
    ({"timestamp": "1000"}, 401, "stale"),
])
def test_a_bad_install_query_is_refused(client, params, status, reason):
    query = _signed() | params if "hmac" in params else _signed(**params)
    answer = client.get("/shopify/install", query)
    assert (answer.status_code, answer.json()["reason"]) == (status, reason)


@pytest.mark.parametrize(("change", "status", "reason"), [
    ("state", 401, "invalid_state"), ("hmac", 401, "invalid_hmac"), ("shop", 400, "invalid_shop"),
    ("code", 401, "exchange_failed"),
])
def test_a_bad_callback_stores_nothing(client, sim, change, status, reason):
    started = client.get("/shopify/install", _signed())
    approved = requests.get(started["Location"], allow_redirects=False, timeout=5)
    query = {k: v[0] for k, v in parse_qs(urlsplit(approved.headers["Location"]).query).items()}
    if change == "state":
        query = _signed(code=query["code"], state="x" * 32)
    elif change == "hmac":
        query["code"] = ("b" if query["code"][0] == "a" else "a") + query["code"][1:]  # one byte changed
    elif change == "shop":
        query = _signed(code=query["code"], state=query["state"], shop="evil.example.com")
    else:
        query = _signed(code="not-the-code", state=query["state"])
    answer = client.get("/shopify/callback", query)
    assert (answer.status_code, answer.json()["reason"]) == (status, reason)
    assert not ShopifyInstall.objects.exists() and not Shop.objects.exists()


def test_a_state_is_good_once(client, sim, django_capture_on_commit_callbacks):
    started = client.get("/shopify/install", _signed())
    approved = requests.get(started["Location"], allow_redirects=False, timeout=5)
    query = {k: v[0] for k, v in parse_qs(urlsplit(approved.headers["Location"]).query).items()}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get("/shopify/callback", query).status_code == 200
    assert client.get("/shopify/callback", query).json()["reason"] == "invalid_state"


def test_uninstall_suspends_and_drops_the_token_and_reinstall_lifts_it(client, sim,
                                                                       django_capture_on_commit_callbacks):
    _install(client, sim, django_capture_on_commit_callbacks)
    assert shopify_uninstalled(domain=SHOP) is True
    assert shopify_uninstalled(domain=SHOP) is False  # a repeated delivery changes nothing
    install = ShopifyInstall.objects.select_related("shop").get()
    assert not install.connected and install.access_token == "" and not install.shop.is_active
    _install(client, sim, django_capture_on_commit_callbacks)
    install.refresh_from_db()
    install.shop.refresh_from_db()
    assert install.connected and install.shop.is_active and not install.suspended_by_uninstall


def test_reinstall_never_lifts_a_suspension_set_by_ops(client, sim, django_capture_on_commit_callbacks):
    _install(client, sim, django_capture_on_commit_callbacks)
    Shop.objects.filter(domain=SHOP).update(is_active=False)
    shopify_uninstalled(domain=SHOP)
    _install(client, sim, django_capture_on_commit_callbacks)
    assert not Shop.objects.get(domain=SHOP).is_active


def test_the_client_refreshes_a_token_about_to_expire(client, sim, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    _install(client, sim, django_capture_on_commit_callbacks)
    install = ShopifyInstall.objects.select_related("shop").get()
    old = decrypt_token(install.access_token)
    ShopifyInstall.objects.filter(pk=install.pk).update(token_expires_at=timezone.now() + timedelta(minutes=1))
    install.refresh_from_db()
    admin_client = shopify_client(install=install)
    install.refresh_from_db()
    new = decrypt_token(install.access_token)
    assert new != old and install.token_expires_at > timezone.now() + timedelta(hours=1)
    assert admin_client.query("{ currentBulkOperation { id } }") == {"currentBulkOperation": None}


def test_the_client_leaves_a_fresh_token_alone_and_refuses_an_uninstalled_shop(client, sim,
                                                                                 django_capture_on_commit_callbacks):
    from campaigns.services.errors import DomainError

    _install(client, sim, django_capture_on_commit_callbacks)
    install = ShopifyInstall.objects.select_related("shop").get()
    exchanges = sum(call.operation == "access_token" for call in sim.calls())
    shopify_client(install=install)
    assert sum(call.operation == "access_token" for call in sim.calls()) == exchanges
    shopify_uninstalled(domain=SHOP)
    install.refresh_from_db()
    with pytest.raises(DomainError, match="not installed"):
        shopify_client(install=install)
