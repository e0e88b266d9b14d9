"""End to end: a campaign with a link sent to 10,000 through the Mitto simulator by a real worker; 10% of the links
clicked through the redirect over HTTP (and some previewers' HEADs); orders posted as signed Shopify webhooks and
processed by the worker; the report equals what was done."""

import json
import re
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from campaigns.models import ShopifyWebhook
from campaigns.services.links.clicks import clicks_flush
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.send_helpers import add_contacts_sql, api_for, funded_shop, sending_campaign
from campaigns.tests.system.test_e2e_send import wait_for_completion
from shopify.webhooks import sign_body

RECIPIENTS = 10_000
SECRET = "links-e2e-shopify-secret"
BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
ORDERS, PRICE = 100, "25.00"


def _order_webhook(base: str, domain: str, *, order_id: int, phone: str, topic: str = "orders/create") -> int:
    payload = {"id": order_id, "name": f"#{order_id}", "created_at": timezone.now().isoformat(),
               "total_price": PRICE, "currency": "EUR", "customer": {"id": order_id, "phone": phone},
               "phone": None, "billing_address": None}
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": domain,
               "X-Shopify-Webhook-Id": f"{topic}-{order_id}", "X-Shopify-API-Version": "2026-10",
               "X-Shopify-Hmac-Sha256": sign_body(body, SECRET)}
    return requests.post(f"{base}/webhooks/shopify", data=body, headers=headers, timeout=30).status_code


def _wait_processed(count: int, worker) -> None:
    import time

    deadline = time.monotonic() + 120
    while ShopifyWebhook.objects.filter(processed_at__isnull=False).count() < count:
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_linked_campaign_clicked_and_ordered_from_reports_what_was_done(settings, mitto_simulator, start_worker,
                                                                           live_server):
    settings.SMS_BATCH_SIZE = 1000
    settings.SHOPIFY_API_SECRET = SECRET
    settings.LINK_BOT_CLICK_SECONDS = 0  # the clicks below come seconds after the send
    link_base = f"{live_server.url}/l"
    worker = start_worker(MITTO_API_BASE=mitto_simulator.base_url, LINK_BASE_URL=link_base,
                          queues=(settings.CELERY_QUEUE_SEND, settings.CELERY_QUEUE_SHOPIFY))
    shop = funded_shop(RECIPIENTS, domain="links-e2e.myshopify.com", default_region="GR")
    add_contacts_sql(shop, RECIPIENTS)
    campaign = sending_campaign(shop, body="Hi {{ first_name }}, 20% off: https://shop.example/sale?ref=spring")
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    wait_for_completion(campaign, worker)

    texts = {m.destination: m.text for m in mitto_simulator.accepted()}
    assert len(texts) == RECIPIENTS
    links = {phone: re.search(re.escape(link_base) + r"/\S{12}", text).group(0) for phone, text in texts.items()}
    assert len(set(links.values())) == RECIPIENTS
    clickers = sorted(links)[::10]
    session = requests.Session()
    for phone in clickers:
        answer = session.get(links[phone], headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30)
        assert answer.status_code == 302
        assert answer.headers["Location"] == (
            f"https://shop.example/sale?ref=spring&utm_source=shopsms&utm_medium=sms&utm_campaign={campaign.id}")
    for phone in clickers[:20]:
        assert session.head(links[phone], headers={"User-Agent": BROWSER}, timeout=30).status_code == 302
    assert session.get(links[clickers[0]][:-1] + "~", timeout=30).status_code == 404
    clicks_flush()

    buyers = clickers[:ORDERS]
    for n, phone in enumerate(buyers):
        assert _order_webhook(live_server.url, shop.domain, order_id=1000 + n, phone=phone) == 200
    assert _order_webhook(live_server.url, shop.domain, order_id=1000, phone=buyers[0]) == 200  # a repeat: stored once
    assert _order_webhook(live_server.url, shop.domain, order_id=1001, phone=buyers[1], topic="orders/cancelled") == 200
    assert _order_webhook(live_server.url, "stranger.myshopify.com", order_id=5000, phone=buyers[2]) == 200
    _wait_processed(ORDERS + 2, worker)

    report = api_for(shop).get(f"/api/v1/campaigns/{campaign.id}/report").json()
    kept = ORDERS - 1
    assert report == {
        "campaignId": campaign.id, "sent": RECIPIENTS, "delivered": 0, "failed": 0,
        "clicks": len(clickers), "uniqueClicks": len(clickers), "botClicks": 20, "ctr": 0.1,
        "orders": {"click": kept, "receive": 0, "total": kept},
        "revenue": {"EUR": {"click": f"{kept * Decimal(PRICE):.2f}", "receive": "0.00",
                            "total": f"{kept * Decimal(PRICE):.2f}"}},
        "creditsUsed": RECIPIENTS, "revenuePerMessage": {"EUR": f"{kept * Decimal(PRICE) / RECIPIENTS:.4f}"},
    }
