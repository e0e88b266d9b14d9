"""The credit ledger. Every balance move is one conditional UPDATE of the shop row plus one ledger row,
in the caller's transaction, so the balances always equal the ledger's sums and never go below zero.

Kinds (delta moves free credits, held_delta held ones): topup (+n, 0), hold (-n, +n), release (+n, -n),
debit of held credits (0, -n), direct debit (-n, 0), refund of a message reported failed after it was
accepted and debited (+n, 0): a merchant never pays for a failed message; purchase of a pack bought in Shopify
(+n, 0), at most one row per purchase (a unique constraint). Callers take the shop's lock first
(campaigns.services.locks).
"""

from collections import Counter

from django.db.models import F, Sum

from campaigns.models import Campaign, CreditTransaction, Shop
from campaigns.services.errors import DomainError

Kind = CreditTransaction.Kind
ENQUEUE_HOLD = "enqueue"  # the note of a campaign's hold at enqueue


def _move(
    *, shop_id: int, kind: str, delta: int, held_delta: int, campaign_id: int | None = None,
    batch_id: int | None = None, purchase_id: int | None = None, note: str = "",
) -> None:
    """Move the balances by (delta, held_delta) unless one would go negative; record the move."""
    if not delta and not held_delta:
        return
    guard = {}
    if delta < 0:
        guard["credits__gte"] = -delta
    if held_delta < 0:
        guard["credits_held__gte"] = -held_delta
    moved = Shop.objects.filter(id=shop_id, **guard).update(
        credits=F("credits") + delta, credits_held=F("credits_held") + held_delta
    )
    if not moved:
        amount = abs(delta or held_delta)
        raise DomainError("insufficient_credits", f"The shop has too few credits for this {kind} of {amount}.")
    CreditTransaction.objects.create(
        shop_id=shop_id, kind=kind, delta=delta, held_delta=held_delta, campaign_id=campaign_id,
        batch_id=batch_id, purchase_id=purchase_id, note=note,
    )


def credits_topup(*, shop_id: int, amount: int, note: str = "") -> None:
    """Add `amount` free credits."""
    _move(shop_id=shop_id, kind=Kind.TOPUP, delta=amount, held_delta=0, note=note)


def credits_purchase(*, shop_id: int, amount: int, purchase_id: int, note: str = "") -> None:
    """Add the `amount` credits of a pack bought in Shopify. A second row for the same purchase is refused by
    the database (IntegrityError), so a purchase is credited at most once whatever the caller does."""
    _move(shop_id=shop_id, kind=Kind.PURCHASE, delta=amount, held_delta=0, purchase_id=purchase_id, note=note)


def credits_hold(*, shop_id: int, amount: int, campaign_id: int | None = None, note: str = "") -> None:
    """Reserve `amount` free credits; DomainError insufficient_credits when fewer are free."""
    _move(shop_id=shop_id, kind=Kind.HOLD, delta=-amount, held_delta=amount, campaign_id=campaign_id, note=note)


def credits_release(
    *, shop_id: int, amount: int, campaign_id: int | None = None, batch_id: int | None = None, note: str = ""
) -> None:
    """Give `amount` held credits back to the free balance (messages not sent)."""
    _move(
        shop_id=shop_id, kind=Kind.RELEASE, delta=amount, held_delta=-amount, campaign_id=campaign_id,
        batch_id=batch_id, note=note,
    )


def credits_debit_held(
    *, shop_id: int, amount: int, campaign_id: int | None = None, batch_id: int | None = None, note: str = ""
) -> None:
    """Spend `amount` held credits (messages the provider accepted)."""
    _move(
        shop_id=shop_id, kind=Kind.DEBIT, delta=0, held_delta=-amount, campaign_id=campaign_id,
        batch_id=batch_id, note=note,
    )


def credits_debit(*, shop_id: int, amount: int, note: str = "") -> None:
    """Spend `amount` free credits at once (a message outside campaigns)."""
    _move(shop_id=shop_id, kind=Kind.DEBIT, delta=-amount, held_delta=0, note=note)


def credits_refund_failed(*, segments_by_campaign: Counter) -> int:
    """Give back the credits of messages that were debited on acceptance and then reported failed:
    `segments_by_campaign` maps campaign id → the segments those messages were debited. In the caller's
    transaction, shops in id order; returns the credits."""
    refunded = 0
    campaigns = Campaign.objects.filter(id__in=list(segments_by_campaign)).values_list("id", "shop_id")
    for campaign_id, shop_id in sorted(campaigns, key=lambda row: row[1]):
        amount = segments_by_campaign[campaign_id]
        _move(shop_id=shop_id, kind=Kind.REFUND, delta=amount, held_delta=0, campaign_id=campaign_id,
              note="failed after acceptance")
        refunded += amount
    return refunded


def campaign_hold_at_enqueue(*, campaign_id: int) -> int:
    """Credits enqueue held for the campaign: the sum of its recipients' segments then."""
    rows = CreditTransaction.objects.filter(campaign_id=campaign_id, kind=Kind.HOLD, note=ENQUEUE_HOLD)
    return rows.aggregate(held=Sum("held_delta"))["held"] or 0


def campaign_hold_remaining(*, campaign_id: int) -> int:
    """Credits the campaign still holds: the sum of its ledger rows' held_delta."""
    total = CreditTransaction.objects.filter(campaign_id=campaign_id).aggregate(held=Sum("held_delta"))["held"]
    return total or 0


def campaign_hold_release_remaining(*, shop_id: int, campaign_id: int, note: str = "") -> int:
    """Release whatever the campaign still holds (on completion or cancel); returns the amount."""
    remaining = campaign_hold_remaining(campaign_id=campaign_id)
    if remaining > 0:
        credits_release(shop_id=shop_id, amount=remaining, campaign_id=campaign_id, note=note or "leftover hold")
    return remaining
