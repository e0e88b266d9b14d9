"""A campaign's funnel (API.md `GET /campaigns/{id}/report`): sent → delivered → clicked → ordered, with revenue per
currency, click- and receive-attributed apart. Read from counters kept incrementally (the send counters, the
click counters, the revenue rows) plus the campaign's ledger rows; never a count over recipients."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, F, IntegerField, Sum, When

from campaigns.models import CampaignLinkStats, CampaignRevenue, CreditTransaction, OrderAttribution
from campaigns.selectors import campaign_status

CENT = Decimal("0.01")
KINDS = (OrderAttribution.Kind.CLICK, OrderAttribution.Kind.RECEIVE)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def campaign_credits_used(*, campaign_id: int) -> int:
    """Credits the campaign's messages cost: its debits less its refunds (ledger rows naming the campaign)."""
    spent = CreditTransaction.objects.filter(campaign_id=campaign_id).aggregate(
        used=Sum(Case(
            When(kind=CreditTransaction.Kind.DEBIT, then=-(F("delta") + F("held_delta"))),
            When(kind=CreditTransaction.Kind.REFUND, then=-F("delta")),
            default=0, output_field=IntegerField(),
        ))
    )["used"]
    return int(spent or 0)


def _revenue(campaign_id: int) -> tuple[dict, dict]:
    orders = {kind.value: 0 for kind in KINDS}
    revenue: dict[str, dict[str, Decimal]] = {}
    for row in CampaignRevenue.objects.filter(campaign_id=campaign_id).values("currency", "kind", "orders", "revenue"):
        orders[row["kind"]] += row["orders"]
        amounts = revenue.setdefault(row["currency"], {kind.value: Decimal(0) for kind in KINDS})
        amounts[row["kind"]] += row["revenue"]
    return orders, revenue


def campaign_report(*, shop_id: int, campaign_id: int) -> dict | None:
    """The report of the shop's campaign, or None when the shop has no such campaign. `ctr` is unique clickers per
    message sent; `revenuePerMessage` is each currency's attributed revenue per message sent."""
    status = campaign_status(shop_id=shop_id, campaign_id=campaign_id)
    if status is None:
        return None
    counts = status["campaign"]
    stats = CampaignLinkStats.objects.filter(campaign_id=campaign_id).values(
        "clicks", "unique_clicks", "bot_clicks").first() or {"clicks": 0, "unique_clicks": 0, "bot_clicks": 0}
    orders, revenue = _revenue(campaign_id)
    sent = counts["sent"]
    per_message = {
        currency: str((sum(amounts.values()) / sent).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
        for currency, amounts in revenue.items() if sent
    }
    return {
        "campaignId": campaign_id,
        "sent": sent,
        "delivered": counts["delivered"],
        "failed": counts["failed"],
        "clicks": stats["clicks"],
        "uniqueClicks": stats["unique_clicks"],
        "botClicks": stats["bot_clicks"],
        "ctr": round(stats["unique_clicks"] / sent, 4) if sent else 0.0,
        "orders": {**orders, "total": sum(orders.values())},
        "revenue": {
            currency: {**{kind: _money(value) for kind, value in amounts.items()},
                       "total": _money(sum(amounts.values()))}
            for currency, amounts in sorted(revenue.items())
        },
        "creditsUsed": campaign_credits_used(campaign_id=campaign_id),
        "revenuePerMessage": per_message,
    }
