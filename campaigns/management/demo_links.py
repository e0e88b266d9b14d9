"""The demo's links part (`manage.py demo`): customers click a share of the sent links through our real redirect
over HTTP (and link previewers fetch some), orders come from the Shopify simulator as signed orders/create
webhooks to our webhook endpoint, and the campaign's report is read from the API and printed readably."""

import re
import time
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.conf import settings

from campaigns.api.auth import api_key_create
from campaigns.models import Campaign, CampaignRecipient, ShopifyWebhook
from campaigns.services.links.clicks import clicks_flush

PHONE_BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
PREVIEWER = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
CLICK_EVERY, TWICE_EVERY, PREVIEW_EVERY = 10, 4, 25  # a tenth click (a quarter of them twice); a 25th previewed
ORDER_EVERY_CLICKER, RECEIVE_ORDERS = 3, 5
CLICK_PRICE, RECEIVE_PRICE, STRANGER_PRICE = Decimal("40.00"), Decimal("25.00"), Decimal("99.00")
CURRENCY = "USD"
WAIT_S = 120


@dataclass
class Done:
    """What the demo did, to set beside the report: the report must show exactly this."""

    people: int = 0
    twice: int = 0
    previews: int = 0
    click_orders: list[Decimal] = field(default_factory=list)
    receive_orders: list[Decimal] = field(default_factory=list)
    cancelled: Decimal = Decimal(0)
    stranger_orders: int = 0
    clicked: list[str] = field(default_factory=list)  # the phones of the customers who clicked


def clicks_made(*, accepted: list, link_base: str) -> Done:
    """Open the short link of every CLICK_EVERY-th message the simulator accepted like a phone's browser would (a
    GET, redirect not followed; every TWICE_EVERY-th of those twice) and let a link previewer fetch every
    PREVIEW_EVERY-th (HEAD)."""
    done = Done()
    pattern = re.compile(re.escape(link_base) + r"/[A-Za-z0-9_-]+")
    session = requests.Session()
    for n, message in enumerate(accepted):
        link = pattern.search(message.text)
        if link is None:
            continue
        if n % PREVIEW_EVERY == 3:
            _expect_redirect(session.head(link.group(), headers={"User-Agent": PREVIEWER}, allow_redirects=False,
                                          timeout=30))
            done.previews += 1
        if n % CLICK_EVERY == 0:
            times = 2 if (n // CLICK_EVERY) % TWICE_EVERY == 1 else 1
            for _ in range(times):
                _expect_redirect(session.get(link.group(), headers={"User-Agent": PHONE_BROWSER},
                                             allow_redirects=False, timeout=30))
            done.people += 1
            done.twice += times - 1
            done.clicked.append(message.destination)
    if settings.REDIS_URL:  # with a broker the clicks wait in the stream for beat's flush: flush them now
        clicks_flush()
    return done


def _expect_redirect(response: requests.Response) -> None:
    if response.status_code != 302:
        raise RuntimeError(f"the short link answered {response.status_code}, not 302")


def orders_posted(*, done: Done, campaign: Campaign, shopify_base: str, domain: str) -> None:
    """Orders placed in the Shopify simulator, which signs and posts each as an orders/create webhook to our
    endpoint: every ORDER_EVERY_CLICKER-th customer who clicked (credited to the click), RECEIVE_ORDERS who
    only received the message (credited to the delivery), one from a number we never messaged (credited to
    none); then the first click-credited order is cancelled (orders/cancelled: taken back)."""
    delivered = CampaignRecipient.objects.filter(
        campaign=campaign, status=CampaignRecipient.Status.DELIVERED).exclude(phone__in=done.clicked)
    receivers = list(delivered.order_by("id").values_list("phone", flat=True)[:RECEIVE_ORDERS])
    posted = []
    for phone in done.clicked[::ORDER_EVERY_CLICKER]:
        posted.append(_order(shopify_base, domain, phone=phone, price=CLICK_PRICE))
        done.click_orders.append(CLICK_PRICE)
    for phone in receivers:
        posted.append(_order(shopify_base, domain, phone=phone, price=RECEIVE_PRICE))
        done.receive_orders.append(RECEIVE_PRICE)
    posted.append(_order(shopify_base, domain, phone="+306900000000", price=STRANGER_PRICE))
    done.stranger_orders = 1
    if done.click_orders:
        _order(shopify_base, domain, phone=None, price=CLICK_PRICE, topic="cancelled", order_id=posted[0])
        done.cancelled = done.click_orders[0]
    requests.post(f"{shopify_base}/_sim/flush", timeout=60).raise_for_status()
    _wait_processed(domain, count=len(posted) + (1 if done.click_orders else 0))


def _order(base: str, domain: str, *, phone: str | None, price: Decimal, topic: str = "create",
           order_id: int | None = None) -> int:
    payload = {"phone": phone, "total_price": str(price), "currency": CURRENCY, "topic": topic}
    if order_id is not None:
        payload["id"] = order_id
    response = requests.post(f"{base}/_sim/shops/{domain}/orders", json=payload, timeout=30)
    response.raise_for_status()
    return response.json()["id"]


def _wait_processed(domain: str, *, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    orders = ShopifyWebhook.objects.filter(shop_domain=domain, topic__startswith="orders/")
    while orders.filter(processed_at__isnull=False).count() < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the order webhooks were not processed within {WAIT_S} s")
        time.sleep(0.2)


def report_fetched(*, base: str, campaign: Campaign) -> dict:
    """The campaign's report as the API answers it (`GET /api/v1/campaigns/{id}/report`, a key of the shop)."""
    key = api_key_create(shop=campaign.shop, name="demo report")
    response = requests.get(f"{base}/api/v1/campaigns/{campaign.id}/report",
                            headers={"Authorization": f"Bearer {key}"}, timeout=30)
    response.raise_for_status()
    return response.json()


def done_lines(done: Done) -> list[str]:
    kept = len(done.click_orders) - (1 if done.cancelled else 0)
    return [
        f"Clicks: {done.people} customers opened their link over HTTP ({done.twice} of them twice); "
        f"{done.previews} link previewers fetched one (HEAD).",
        f"Orders: {len(done.click_orders)} by customers who clicked, {len(done.receive_orders)} by customers who "
        f"only received it, {done.stranger_orders} by a number never messaged; posted from the Shopify simulator as "
        f"signed orders/create webhooks; {1 if done.cancelled else 0} cancelled (orders/cancelled).",
        f"Expected: orders click {kept}, receive {len(done.receive_orders)}; revenue {CURRENCY} click "
        f"{sum(done.click_orders) - done.cancelled:.2f}, receive {sum(done.receive_orders, Decimal(0)):.2f}.",
    ]


def report_lines(report: dict) -> list[str]:
    """The report's figures as a merchant reads them: the funnel, the clicks, the orders and the revenue."""
    orders, sent = report["orders"], report["sent"]
    lines = [
        f"Report of campaign #{report['campaignId']} (GET /api/v1/campaigns/{report['campaignId']}/report):",
        f"  sent {sent} → delivered {report['delivered']} → clicked {report['uniqueClicks']} "
        f"(ctr {100 * report['ctr']:.1f}%) → ordered {orders['total']}",
        f"  clicks {report['clicks']} ({report['uniqueClicks']} unique), bot clicks {report['botClicks']}",
        f"  orders {orders['total']}: click {orders['click']}, receive {orders['receive']}",
    ]
    credits = report["creditsUsed"]
    for currency, amounts in report["revenue"].items():
        total = Decimal(amounts["total"])
        per_credit = f"{total / credits:.4f}" if credits else "-"
        lines.append(f"  revenue {currency} {amounts['total']} (click {amounts['click']}, receive "
                     f"{amounts['receive']}); per message {report['revenuePerMessage'].get(currency, '-')}, "
                     f"per credit {per_credit}")
    lines.append(f"  credits used {credits}")
    return lines
