"""Install and webhooks end to end over real HTTP: the Shopify simulator redirects to our live server and delivers
webhooks to it, signed as Shopify signs, some duplicated, reordered or wrongly signed."""

import time
from collections import Counter
from urllib.parse import urlencode

import pytest
import requests

from campaigns.models import Shop, ShopifyInstall, ShopifyWebhook
from campaigns.services.shopify_sync.install import SUBSCRIBED_TOPICS
from campaigns.tests.support.shopify_helpers import shopify_simulator_for
from shopify.oauth import query_hmac

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "e2e-shopify-secret"
SHOP = "e2e.myshopify.com"


@pytest.fixture
def sim(settings, live_server):
    with shopify_simulator_for(settings, live_server, secret=SECRET, seed=11) as simulator:
        yield simulator


def _install(live_server) -> requests.Response:
    query = {"shop": SHOP, "timestamp": str(int(time.time()))}
    query["hmac"] = query_hmac(query, SECRET)
    return requests.get(f"{live_server.url}/shopify/install?{urlencode(query)}", timeout=30)


def test_install_then_webhooks_in_any_order_duplicated_and_some_forged(sim, live_server):
    sim.create_shop(SHOP, customers=40)
    answer = _install(live_server)  # our install → Shopify's authorize → our callback, following the redirects
    assert answer.status_code == 200 and answer.json()["installed"] is True
    assert sorted(sim.shop(SHOP).subscriptions) == sorted(SUBSCRIBED_TOPICS)

    sim.configure(webhook_hold=True, webhook_duplicates=True, webhook_reorder=True, webhook_bad_hmac_share=0.3)
    base = f"{sim.base_url}/_sim/shops/{SHOP}"
    first = sim.shop(SHOP).customers.base_id
    for n in range(10):
        requests.post(f"{base}/customers", json={"id": first + n, "consent": {"state": "UNSUBSCRIBED"}}, timeout=5)
    requests.post(f"{base}/orders", json={"customer_id": first}, timeout=5)
    requests.post(f"{base}/uninstall", timeout=5)
    sim.flush_webhooks()

    deliveries = sim.deliveries()
    taken = {d["webhook_id"] for d in deliveries if d["signed_ok"] and d["status"] == 200}
    forged = [d for d in deliveries if not d["signed_ok"]]
    assert forged and all(d["status"] == 401 for d in forged)
    # 10 updates, 9 consent changes (one of the ten has no phone), the order, the uninstall
    assert sim.stats()["webhooks_given_up"] == 0 and len(taken) == 21
    assert set(ShopifyWebhook.objects.values_list("webhook_id", flat=True)) == taken
    assert Counter(ShopifyWebhook.objects.values_list("topic", flat=True)) == {
        "customers/update": 10, "customers_marketing_consent/update": 9, "orders/create": 1, "app/uninstalled": 1}

    uninstall = ShopifyWebhook.objects.get(topic="app/uninstalled")
    assert uninstall.processed_at is not None
    install = ShopifyInstall.objects.get(shop__domain=SHOP)
    assert not install.connected and install.access_token == "" and not Shop.objects.get(domain=SHOP).is_active
