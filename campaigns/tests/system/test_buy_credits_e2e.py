"""Buying credits end to end over real HTTP: install from the Shopify simulator, buy a pack through the API, approve
it on the simulator's confirmation page (which sends the merchant back to our return URL and Shopify's webhook to
our endpoint): the ledger has one `purchase` and the balance equals the ledger. Approvals, returns and duplicated
webhooks arriving at once still credit once."""

import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from django.db.models import Sum

from campaigns.api.auth import api_key_create
from campaigns.models import CreditPurchase, CreditTransaction, Shop, ShopifyWebhook
from campaigns.tests.support.shopify_helpers import shopify_simulator_for
from shopify.oauth import query_hmac

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "e2e-buy-secret"
SHOP = "buyer-e2e.myshopify.com"


@pytest.fixture
def sim(settings, live_server):
    with shopify_simulator_for(settings, live_server, secret=SECRET, seed=5) as simulator:
        yield simulator


def installed(sim, live_server, *, development: bool = False) -> Shop:
    sim.create_shop(SHOP, development=development)
    query = {"shop": SHOP, "timestamp": str(int(time.time()))}
    query["hmac"] = query_hmac(query, SECRET)
    answer = requests.get(f"{live_server.url}/shopify/install?{urlencode(query)}", timeout=30)
    assert answer.status_code == 200 and answer.json()["installed"] is True
    return Shop.objects.get(domain=SHOP)


def buy(live_server, key: str, pack: int) -> dict:
    answer = requests.post(f"{live_server.url}/api/v1/credits/purchase", json={"pack": pack},
                           headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def webhooks_processed(sim, count: int) -> None:
    """Deliver the queued webhooks and wait until `count` purchase updates are stored and processed."""
    sim.flush_webhooks()
    done = ShopifyWebhook.objects.filter(topic="app_purchases_one_time/update", processed_at__isnull=False)
    deadline = time.monotonic() + 30
    while done.count() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done.count() == count


def ledger_matches(shop: Shop) -> tuple[int, list]:
    shop.refresh_from_db()
    rows = CreditTransaction.objects.filter(shop=shop)
    assert shop.credits == (rows.aggregate(total=Sum("delta"))["total"] or 0)
    return shop.credits, list(rows.filter(kind="purchase").values_list("delta", "purchase_id"))


def test_install_buy_approve_credits_the_pack_once(sim, live_server):
    shop = installed(sim, live_server, development=True)
    key = api_key_create(shop=shop)
    started = buy(live_server, key, 5000)
    purchase = CreditPurchase.objects.get(pk=started["purchaseId"])
    assert urlsplit(started["confirmationUrl"]).netloc == urlsplit(sim.base_url).netloc
    number = int(purchase.shopify_id.rsplit("/", 1)[1])
    assert sim.app.store.purchases[number][1].test is True  # a development store: a test charge

    # The merchant approves in "Shopify", comes back to our return URL and lands on the admin.
    approved = requests.get(started["confirmationUrl"], allow_redirects=False, timeout=30)
    assert approved.status_code == 302
    back = requests.get(approved.headers["Location"], allow_redirects=False, timeout=30)
    assert back.status_code == 302 and back.headers["Location"].endswith(f"?purchase={purchase.pk}")
    webhooks_processed(sim, 1)

    assert ledger_matches(shop) == (5000, [(5000, purchase.pk)])
    listed = requests.get(f"{live_server.url}/api/v1/credits/purchases", headers={"Authorization": f"Bearer {key}"},
                          timeout=30).json()["results"]
    assert [(row["id"], row["status"], row["test"]) for row in listed] == [(purchase.pk, "active", True)]


def test_a_declined_purchase_credits_nothing(sim, live_server):
    shop = installed(sim, live_server)
    started = buy(live_server, api_key_create(shop=shop), 1000)
    declined = requests.get(started["confirmationUrl"] + "?decline=1", allow_redirects=False, timeout=30)
    requests.get(declined.headers["Location"], allow_redirects=False, timeout=30)
    webhooks_processed(sim, 1)
    assert CreditPurchase.objects.get().status == "declined" and ledger_matches(shop) == (0, [])


def test_concurrent_approvals_returns_and_duplicated_webhooks_credit_once(sim, live_server):
    shop = installed(sim, live_server)
    sim.configure(webhook_hold=True, webhook_duplicates=True)
    started = buy(live_server, api_key_create(shop=shop), 20000)
    purchase = CreditPurchase.objects.get(pk=started["purchaseId"])
    number = purchase.shopify_id.rsplit("/", 1)[1]
    return_url = f"{live_server.url}/shopify/purchases/{purchase.pk}/return?charge_id={number}"
    gate, answers = threading.Barrier(8), []

    def approve():
        gate.wait(timeout=30)
        answers.append(requests.post(f"{sim.base_url}/_sim/purchases/{number}/approve", timeout=30).status_code)

    def come_back():
        gate.wait(timeout=30)
        time.sleep(0.05)  # after an approval has been made, most likely; the order does not matter
        answers.append(requests.get(return_url, allow_redirects=False, timeout=30).status_code)

    threads = [threading.Thread(target=approve) for _ in range(3)] + [threading.Thread(target=come_back)
                                                                       for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    webhooks_processed(sim, 1)
    for _ in range(3):  # and the merchant reloads the return page
        requests.get(return_url, allow_redirects=False, timeout=30)

    assert sorted(answers) == [200] * 3 + [302] * 5
    assert ledger_matches(shop) == (20000, [(20000, purchase.pk)])
    assert CreditPurchase.objects.get().status == "active"
