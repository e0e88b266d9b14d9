"""The Shopify sync end to end: the simulator over real HTTP, our live server and a real worker. Install → first
sync of 20,000 customers → consent webhooks in random order, duplicated, some wrongly signed → contacts and consent
equal the simulator's store; a STOP reply written back to Shopify; a redacted customer leaves no trace."""

import time

import pytest
import requests
from django.conf import settings as django_settings
from django.db import transaction

from campaigns.models import Contact, ShopifyInstall, ShopifyWebhook
from campaigns.services.reports.inbound import inbound_message_handle
from campaigns.tests.support.pii_scan import tables_containing
from campaigns.tests.support.shopify_helpers import shopify_simulator_for
from messaging.inbound import InboundMessage
from shopify.oauth import query_hmac

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "e2e-sync-secret"
SHOP = "e2e-sync.myshopify.com"
CUSTOMERS = 20_000


@pytest.fixture
def sim(settings, live_server):
    with shopify_simulator_for(settings, live_server, secret=SECRET, seed=7) as simulator:
        yield simulator


@pytest.fixture
def worker(sim, start_worker, live_server):
    return start_worker(queues=(django_settings.CELERY_QUEUE_SHOPIFY, django_settings.CELERY_QUEUE_SEND),
                        SECRET_KEY=django_settings.SECRET_KEY, SHOPIFY_SYNC_BULK_THRESHOLD="2000",
                        SHOPIFY_SYNC_BULK_POLL_S="0.1", **sim.app_settings(app_url=live_server.url))


def _until(check, timeout_s: float = 180, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _store(sim) -> dict[str, bool]:
    return {c.phone: c.state == "SUBSCRIBED" for c in sim.shop(SHOP).customers.after(None) if c.phone}


def _ours() -> dict[str, bool]:
    return {phone: consent and out is None for phone, consent, out in
            Contact.objects.filter(shop__domain=SHOP).values_list("phone", "sms_consent", "opted_out_at")}


def _install(live_server) -> None:
    query = {"shop": SHOP, "timestamp": str(int(time.time()))}
    query["hmac"] = query_hmac(query, SECRET)
    answer = requests.get(f"{live_server.url}/shopify/install", params=query, timeout=60)
    assert answer.status_code == 200 and answer.json()["installed"] is True


def _synced() -> bool:
    return ShopifyInstall.objects.filter(shop__domain=SHOP, sync_state="done").exists()


def _all_processed() -> bool:
    return not ShopifyWebhook.objects.filter(shop_domain=SHOP, processed_at__isnull=True).exclude(
        topic__startswith="orders/").exists()


def test_install_sync_webhooks_stop_write_back_and_redact(sim, worker, live_server):
    sim.create_shop(SHOP, customers=CUSTOMERS)
    _install(live_server)
    _until(_synced, what="the first sync")
    install = ShopifyInstall.objects.get(shop__domain=SHOP)
    assert (install.customers_seen, install.contacts_created, install.skipped_no_phone) == (CUSTOMERS, 18_000, 2000)
    assert _ours() == _store(sim)

    sim.configure(webhook_hold=True, webhook_duplicates=True, webhook_reorder=True, webhook_bad_hmac_share=0.2)
    base, first = f"{sim.base_url}/_sim/shops/{SHOP}", sim.shop(SHOP).customers.base_id
    now = time.time()
    for round_, state in enumerate(("UNSUBSCRIBED", "SUBSCRIBED")):  # the second state is the newer one
        for n in range(0, 200, 3):
            wanted = state if n % 2 else ("SUBSCRIBED" if state == "UNSUBSCRIBED" else "UNSUBSCRIBED")
            requests.post(f"{base}/customers", timeout=5, json={
                "id": first + n, "consent": {"state": wanted, "updated_at": now - 100 + round_ * 10}})
    created = requests.post(f"{base}/customers", timeout=5, json={
        "first_name": "Zenobia", "last_name": "Quixotic", "phone": "+13105550199",
        "consent": {"state": "SUBSCRIBED", "updated_at": now - 50}}).json()
    sim.flush_webhooks()
    forged = [d for d in sim.deliveries() if not d["signed_ok"]]
    assert forged and all(d["status"] == 401 for d in forged)
    _until(_all_processed, what="the webhooks")
    assert _ours() == _store(sim)

    stopped = Contact.objects.filter(shop__domain=SHOP, sms_consent=True).exclude(phone="+13105550199").first()
    with transaction.atomic():
        inbound_message_handle(message=InboundMessage(sender=stopped.phone, to=None, text="STOP"))
    customer = sim.shop(SHOP).customers.get(stopped.shopify_customer_id)
    _until(lambda: sim.shop(SHOP).customers.get(customer.customer_id).state == "UNSUBSCRIBED", 60, "the write-back")

    sim.configure(webhook_hold=False, webhook_duplicates=False, webhook_reorder=False, webhook_bad_hmac_share=0)
    customer_id = int(created["id"].rsplit("/", 1)[1])
    requests.post(f"{base}/privacy/customers_redact", json={"customer_id": customer_id}, timeout=5)
    sim.flush_webhooks()
    _until(lambda: _all_processed() and ShopifyWebhook.objects.filter(topic="customers/redact",
                                                                       processed_at__isnull=False).exists(),
           60, "the redact")
    assert tables_containing(["+13105550199", "13105550199", "Zenobia", "Quixotic"]) == []
