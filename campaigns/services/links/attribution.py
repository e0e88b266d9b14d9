"""Orders credited to the campaign message that brought them (API.md "Links, clicks and orders").

An order of a shop is matched by its phones (the customer's, the order's, the billing address's, each read in the
shop's region) to that shop's campaign recipients, and credited once, to the last message clicked (a human click)
within ATTRIBUTION_CLICK_DAYS before the order, else the last delivered within ATTRIBUTION_RECEIVE_HOURS before it
(kept apart as receive-attributed), else to none. Its total is added to the campaign's revenue row of its currency
and kind in the same transaction; a cancelled order is taken back once. One OrderAttribution row per shop and order
makes every repeat (the same webhook twice, orders/paid after orders/create) change nothing; an order cancelled
before it was seen is remembered so that it is never credited later.

Lock order (campaigns.services.locks): shop → counters (the revenue rows).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import CampaignRevenue, OrderAttribution, Shop
from campaigns.phones import PhoneError, phone_normalise
from campaigns.services.locks import shop_lock

Kind = OrderAttribution.Kind
NO_CURRENCY = "XXX"  # ISO 4217's code for "no currency", for an order that names none


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What attribution needs of an order (the Shopify edge's `shopify.records.Order` carries these)."""

    order_id: int
    phones: tuple[str, ...]
    created_at: datetime | None
    total_price: Decimal | None
    currency: str | None
    cancelled: bool


@dataclass(frozen=True, slots=True)
class Touch:
    campaign_id: int
    recipient_id: int
    kind: str


def _phones(raw: tuple[str, ...], region: str) -> list[str]:
    phones = []
    for text in raw:
        try:
            phones.append(phone_normalise(text, region=region))
        except PhoneError:
            continue
    return sorted(set(phones))


def _last_click(*, shop_id: int, phones: list[str], since: datetime, until: datetime) -> Touch | None:
    marks = ", ".join(["%s"] * len(phones))
    sql = f"""
        SELECT k.campaign_id, k.recipient_id FROM campaigns_campaign c
        JOIN campaigns_campaignlinkstats s ON s.campaign_id = c.id AND s.last_click_at >= %s
        JOIN campaigns_campaignrecipient r ON r.campaign_id = c.id AND r.phone IN ({marks})
        JOIN campaigns_linkclick k ON k.recipient_id = r.id AND NOT k.is_bot
                                  AND k.clicked_at >= %s AND k.clicked_at <= %s
        WHERE c.shop_id = %s ORDER BY k.clicked_at DESC, k.id DESC LIMIT 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, *phones, since, until, shop_id])
        row = cursor.fetchone()
    return Touch(row[0], row[1], Kind.CLICK) if row else None


def _last_delivery(*, shop_id: int, phones: list[str], since: datetime, until: datetime) -> Touch | None:
    marks = ", ".join(["%s"] * len(phones))
    sql = f"""
        SELECT r.campaign_id, r.id FROM campaigns_campaign c
        JOIN campaigns_campaignrecipient r ON r.campaign_id = c.id AND r.phone IN ({marks})
        WHERE c.shop_id = %s AND r.delivered_at >= %s AND r.delivered_at <= %s
        ORDER BY r.delivered_at DESC, r.id DESC LIMIT 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*phones, shop_id, since, until])
        row = cursor.fetchone()
    return Touch(row[0], row[1], Kind.RECEIVE) if row else None


def order_touch(*, shop: Shop, phones: tuple[str, ...], at: datetime) -> Touch | None:
    """The campaign message an order of `shop` placed at `at` by these phones is credited to, or None."""
    phones = _phones(phones, shop.default_region)
    if not phones:
        return None
    clicked = _last_click(shop_id=shop.id, phones=phones,
                          since=at - timedelta(days=settings.ATTRIBUTION_CLICK_DAYS), until=at)
    return clicked or _last_delivery(shop_id=shop.id, phones=phones,
                                     since=at - timedelta(hours=settings.ATTRIBUTION_RECEIVE_HOURS), until=at)


def _revenue_move(*, attribution: OrderAttribution, sign: int) -> None:
    if attribution.kind == Kind.NONE or attribution.campaign_id is None:
        return
    row, _ = CampaignRevenue.objects.get_or_create(
        campaign_id=attribution.campaign_id, currency=attribution.currency, kind=attribution.kind)
    CampaignRevenue.objects.filter(id=row.id).update(
        orders=F("orders") + sign, revenue=F("revenue") + sign * attribution.amount)


def order_attribute(*, shop: Shop, order: OrderFacts) -> str:
    """Apply one order event of `shop`: credit a new order (returns its kind: click, receive or none), take a
    cancelled one back ("cancelled"), or change nothing for one seen before ("seen")."""
    at = order.created_at or timezone.now()
    with transaction.atomic():
        shop_lock(shop_id=shop.id)
        known = OrderAttribution.objects.filter(shop_id=shop.id, order_id=order.order_id).first()
        if known is not None:
            if not order.cancelled or known.cancelled_at is not None:
                return "seen"
            known.cancelled_at = timezone.now()
            known.save(update_fields=["cancelled_at"])
            _revenue_move(attribution=known, sign=-1)
            return "cancelled"
        touch = None if order.cancelled else order_touch(shop=shop, phones=order.phones, at=at)
        attribution = OrderAttribution.objects.create(
            shop_id=shop.id, order_id=order.order_id, ordered_at=at,
            campaign_id=touch.campaign_id if touch else None, recipient_id=touch.recipient_id if touch else None,
            kind=touch.kind if touch else Kind.NONE, currency=(order.currency or NO_CURRENCY).upper()[:3],
            amount=order.total_price or Decimal(0), cancelled_at=timezone.now() if order.cancelled else None,
        )
        _revenue_move(attribution=attribution, sign=1)
        return "cancelled" if order.cancelled else attribution.kind
