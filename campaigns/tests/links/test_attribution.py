"""Orders credited to the campaign message that brought them (services/links/attribution.py), and the report
(services/links/report.py, GET /api/v1/campaigns/{id}/report) showing them."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from campaigns.models import CampaignRecipient, CampaignRevenue, OrderAttribution
from campaigns.services.links.attribution import OrderFacts, order_attribute
from campaigns.services.links.clicks import Click, clicks_apply
from campaigns.services.links.report import campaign_report
from campaigns.tests.support.send_helpers import add_contacts, api_for, enqueued_contacts, funded_shop
from shopify.webhooks import sign_body

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the order's time
PHONE = "+306910000000"  # the first contact of add_contacts
OTHER_PHONE = "+306910000001"


def _campaign(shop, *, sent_at=T - timedelta(days=10)):
    """A campaign of `shop` sent (at `sent_at`) to the shop's contacts; its recipients by phone."""
    _, campaign, _ = enqueued_contacts(shop, 0, body="Sale https://shop.example/sale")
    CampaignRecipient.objects.filter(campaign=campaign).update(status="sent", sent_at=sent_at)
    return campaign, {r.phone: r for r in CampaignRecipient.objects.filter(campaign=campaign)}


def _clicked(recipient, at, *, bot=False):
    clicks_apply(clicks=[Click(recipient.id * 10**10 + int(at.timestamp()), recipient.id, 0, at, bot)])


def _delivered(recipient, at):
    CampaignRecipient.objects.filter(id=recipient.id).update(status="delivered", delivered_at=at)


def _order(order_id=1, *, phones=(PHONE,), at=T, total="50.00", currency="EUR", cancelled=False):
    return OrderFacts(order_id=order_id, phones=phones, created_at=at, total_price=Decimal(total), currency=currency,
                      cancelled=cancelled)


def _revenue(campaign) -> dict:
    return {(r.currency, r.kind): (r.orders, r.revenue) for r in CampaignRevenue.objects.filter(campaign=campaign)}


@pytest.fixture
def shop(no_dispatch):
    shop = funded_shop(10_000, default_region="GR")
    add_contacts(shop, 3)
    return shop


@pytest.mark.parametrize(("clicked_before", "expected"), [
    (timedelta(days=5), "click"), (timedelta(days=5, seconds=1), "none"), (timedelta(0), "click"),
    (-timedelta(seconds=1), "none"),
])
def test_the_click_window_at_its_edges(shop, clicked_before, expected):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - clicked_before)
    assert order_attribute(shop=shop, order=_order()) == expected


@pytest.mark.parametrize(("delivered_before", "expected"), [
    (timedelta(hours=24), "receive"), (timedelta(hours=24, seconds=1), "none"), (-timedelta(seconds=1), "none"),
])
def test_the_receive_window_at_its_edges(shop, delivered_before, expected):
    campaign, recipients = _campaign(shop, sent_at=T - timedelta(days=2))
    _delivered(recipients[PHONE], T - delivered_before)
    assert order_attribute(shop=shop, order=_order()) == expected
    if expected == "receive":
        assert _revenue(campaign) == {("EUR", "receive"): (1, Decimal("50.00"))}


def test_the_last_click_wins_across_two_campaigns_and_a_click_beats_a_later_delivery(shop):
    first, first_recipients = _campaign(shop)
    second, second_recipients = _campaign(shop)
    _clicked(first_recipients[PHONE], T - timedelta(days=3))
    _clicked(second_recipients[PHONE], T - timedelta(days=2))
    _clicked(first_recipients[PHONE], T - timedelta(days=1))
    _delivered(second_recipients[PHONE], T - timedelta(hours=1))

    assert order_attribute(shop=shop, order=_order()) == "click"

    assert _revenue(first) == {("EUR", "click"): (1, Decimal("50.00"))} and _revenue(second) == {}


def test_bot_clicks_never_attribute(shop):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - timedelta(hours=2), bot=True)
    assert order_attribute(shop=shop, order=_order()) == "none"


def test_any_of_the_orders_phones_matches_in_the_shops_region(shop):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[OTHER_PHONE], T - timedelta(hours=2))
    order = _order(phones=("not a phone", "691 000 0001"))
    assert order_attribute(shop=shop, order=order) == "click"


def test_an_order_without_a_phone_is_credited_to_none(shop):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - timedelta(hours=2))
    assert order_attribute(shop=shop, order=_order(phones=())) == "none"
    assert _revenue(campaign) == {}


def test_the_same_order_twice_credits_once_and_a_cancel_takes_it_back_once(shop):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - timedelta(hours=2))
    assert order_attribute(shop=shop, order=_order()) == "click"
    assert order_attribute(shop=shop, order=_order()) == "seen"
    assert _revenue(campaign) == {("EUR", "click"): (1, Decimal("50.00"))}

    assert order_attribute(shop=shop, order=_order(cancelled=True)) == "cancelled"
    assert order_attribute(shop=shop, order=_order(cancelled=True)) == "seen"

    assert _revenue(campaign) == {("EUR", "click"): (0, Decimal("0.00"))}


def test_an_order_cancelled_before_it_was_seen_is_never_credited(shop):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - timedelta(hours=2))
    assert order_attribute(shop=shop, order=_order(cancelled=True)) == "cancelled"
    assert order_attribute(shop=shop, order=_order()) == "seen"
    assert _revenue(campaign) == {}


def test_another_shops_customers_and_orders_are_never_credited_here(shop):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - timedelta(hours=2))
    other = funded_shop(10, default_region="GR", domain="other.myshopify.com")
    add_contacts(other, 1)

    assert order_attribute(shop=other, order=_order()) == "none"
    assert _revenue(campaign) == {}
    assert OrderAttribution.objects.get(shop=other).campaign_id is None


def test_revenue_is_kept_per_currency_and_kind_and_the_report_shows_the_funnel(shop):
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - timedelta(hours=2))
    _delivered(recipients[OTHER_PHONE], T - timedelta(hours=2))
    order_attribute(shop=shop, order=_order(1, total="10.50"))
    order_attribute(shop=shop, order=_order(2, total="4.25", currency="USD"))
    order_attribute(shop=shop, order=_order(3, phones=(OTHER_PHONE,), total="2.00"))

    report = campaign_report(shop_id=shop.id, campaign_id=campaign.id)

    assert {key: report[key] for key in ("clicks", "uniqueClicks", "botClicks", "orders", "revenue")} == {
        "clicks": 1, "uniqueClicks": 1, "botClicks": 0, "orders": {"click": 2, "receive": 1, "total": 3},
        "revenue": {"EUR": {"click": "10.50", "receive": "2.00", "total": "12.50"},
                    "USD": {"click": "4.25", "receive": "0.00", "total": "4.25"}},
    }


def test_the_report_endpoint_answers_the_shops_campaign_and_404_for_another(shop):
    campaign, _ = _campaign(shop)
    other = funded_shop(10, domain="other.myshopify.com")
    assert api_for(shop).get(f"/api/v1/campaigns/{campaign.id}/report").json()["campaignId"] == campaign.id
    assert api_for(other).get(f"/api/v1/campaigns/{campaign.id}/report").status_code == 404


def test_a_signed_orders_create_webhook_is_attributed(shop, settings, django_capture_on_commit_callbacks):
    settings.SHOPIFY_API_SECRET = "secret"
    campaign, recipients = _campaign(shop)
    _clicked(recipients[PHONE], T - timedelta(hours=2))
    payload = {"id": 99, "name": "#1099", "created_at": T.isoformat(), "total_price": "30.00", "currency": "EUR",
               "customer": {"id": 5, "phone": PHONE}, "phone": None, "billing_address": None}
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": shop.domain, "X-Shopify-Webhook-Id": "o-1",
               "X-Shopify-API-Version": "2026-10", "X-Shopify-Hmac-Sha256": sign_body(body, "secret")}
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post("/webhooks/shopify", data=body, content_type="application/json", headers=headers)
    assert answer.status_code == 200
    assert _revenue(campaign) == {("EUR", "click"): (1, Decimal("30.00"))}
