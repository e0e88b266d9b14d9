"""An uninstall stops a running campaign, end to end: a campaign sending through a real worker to the Mitto
simulator, then Shopify's signed `app/uninstalled` webhook over HTTP (from the Shopify simulator to our live
server, processed by the worker's task) → the campaign is paused `shop_inactive` at its next batch, the simulator
receives nothing more, and the credits of the recipients not sent stay held."""

import time

import pytest
import requests
from django.conf import settings as django_settings
from django.db.models import Sum

from campaigns.models import Batch, Campaign, CampaignRecipient, Shop, ShopifyInstall, ShopifyWebhook
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.send_helpers import add_contacts_sql, funded_shop, ledger_matches, sending_campaign
from campaigns.tests.support.shopify_helpers import shopify_simulator_for
from shopify.oauth import query_hmac

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "e2e-uninstall-secret"
SHOP = "e2e-uninstall.myshopify.com"
RECIPIENTS, BATCH = 4000, 100


@pytest.fixture
def sim(settings, live_server):
    with shopify_simulator_for(settings, live_server, secret=SECRET, seed=5) as simulator:
        yield simulator


def _until(check, timeout_s: float = 120, what: str = "", worker=None) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{worker.output() if worker else ''}"
        time.sleep(0.1)


def _install(live_server) -> None:
    query = {"shop": SHOP, "timestamp": str(int(time.time()))}
    query["hmac"] = query_hmac(query, SECRET)
    answer = requests.get(f"{live_server.url}/shopify/install", params=query, timeout=60)
    assert answer.status_code == 200 and answer.json()["installed"] is True


def _settled(campaign: Campaign) -> bool:
    """No batch of the campaign in flight or waiting in the broker: whatever was going to be sent was sent."""
    batches = Batch.objects.filter(campaign=campaign)
    return not (batches.filter(status=Batch.Status.SUBMITTING).exists()
                or batches.filter(status=Batch.Status.QUEUED, dispatched_at__isnull=False).exists())


def test_an_uninstall_stops_a_running_campaign_at_its_next_batch(settings, sim, live_server, mitto_simulator,
                                                                start_worker):
    settings.SMS_BATCH_SIZE = BATCH
    mitto_simulator.configure(delay_ms=100)  # each request takes a while: the campaign is still sending below
    shop = funded_shop(RECIPIENTS, domain=SHOP)
    add_contacts_sql(shop, RECIPIENTS)
    sim.create_shop(SHOP)
    _install(live_server)  # links the existing shop
    worker = start_worker(queues=(django_settings.CELERY_QUEUE_SHOPIFY, django_settings.CELERY_QUEUE_SEND),
                          MITTO_API_BASE=mitto_simulator.base_url, SECRET_KEY=django_settings.SECRET_KEY,
                          RATE_LIMIT_TENANT_MAX="3", **sim.app_settings(app_url=live_server.url))
    _until(lambda: "app/uninstalled" in sim.shop(SHOP).subscriptions, what="the webhook subscriptions", worker=worker)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    _until(lambda: len(mitto_simulator.destination_counts()) >= 3 * BATCH, what="the first batches", worker=worker)

    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/uninstall", timeout=5)
    sim.flush_webhooks()
    _until(lambda: any(d["topic"] == "app/uninstalled" for d in sim.deliveries()), what="the webhook delivery")
    delivered = [d for d in sim.deliveries() if d["topic"] == "app/uninstalled"]
    assert all(d["signed_ok"] and d["status"] == 200 for d in delivered)
    _until(lambda: Campaign.objects.get(id=campaign.id).status == Campaign.Status.PAUSED, what="the pause",
           worker=worker)
    _until(lambda: _settled(campaign), what="the batches in flight", worker=worker)

    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_reason) == ("paused", "shop_inactive")
    assert ShopifyWebhook.objects.get(topic="app/uninstalled").processed_at is not None
    install = ShopifyInstall.objects.get(shop=shop)
    assert not install.connected and install.access_token == "" and not Shop.objects.get(id=shop.id).is_active
    sent = Batch.objects.filter(campaign=campaign, status=Batch.Status.SUBMITTED).aggregate(n=Sum("size"))["n"]
    counts = mitto_simulator.destination_counts()
    assert sum(counts.values()) == len(counts) == sent < RECIPIENTS  # each once, and only the batches before
    assert Batch.objects.filter(campaign=campaign, status=Batch.Status.QUEUED).exists()
    unsent = CampaignRecipient.objects.filter(campaign=campaign, status="queued").aggregate(n=Sum("segments"))["n"]
    shop.refresh_from_db()
    assert unsent and shop.credits_held == unsent and ledger_matches(shop)
    worker.stop()  # every task the worker had taken is finished: still nothing more reached the provider
    assert sum(mitto_simulator.destination_counts().values()) == sent
