"""The credit ledger read as a merchant reads it: one line per campaign (held, debited, released, refunded, net)
and one per kind and day for movements of no campaign (top-ups, test messages), with the free balance after
each line. Reads only."""

from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db.models import Count, F, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from campaigns.models import CreditTransaction

Kind = CreditTransaction.Kind


def _total(expression, kind: str):
    return Coalesce(Sum(expression, filter=Q(kind=kind)), Value(0))


def _sums() -> dict:
    """Per kind, the credits moved (see CreditTransaction: a debit is (0, -n) of held or (-n, 0) of free)."""
    return {
        "held": _total(F("held_delta"), Kind.HOLD),
        "debited": _total(-(F("delta") + F("held_delta")), Kind.DEBIT),
        "released": _total(F("delta"), Kind.RELEASE),
        "refunded": _total(F("delta"), Kind.REFUND),
        "topped_up": _total(F("delta"), Kind.TOPUP),
        "net": Coalesce(Sum("delta"), Value(0)),
        "still_held": Coalesce(Sum("held_delta"), Value(0)),
        "rows": Count("id"),
        "first_at": Min("created_at"),
        "last_at": Max("created_at"),
    }


@dataclass(frozen=True)
class LedgerLine:
    """`net`: how the free balance moved; `spent`: debited less refunded; `still_held`: held, not yet debited
    or released. `balance`: the free balance after this line (lines ordered by their last movement)."""

    campaign_id: int | None
    campaign_name: str
    kind: str
    day: date | None
    held: int
    debited: int
    released: int
    refunded: int
    topped_up: int
    net: int
    still_held: int
    rows: int
    first_at: datetime
    last_at: datetime
    balance: int = 0

    @property
    def spent(self) -> int:
        return self.debited - self.refunded


def campaign_credits(*, campaign_id: int) -> LedgerLine | None:
    """The campaign's ledger rows summed (None when it has none): what it actually held, spent and got back."""
    row = CreditTransaction.objects.filter(campaign_id=campaign_id).aggregate(**_sums())
    if not row["rows"]:
        return None
    return LedgerLine(campaign_id=campaign_id, campaign_name="", kind="campaign", day=None, **row)


def ledger_lines(*, shop_id: int, since: datetime, balance_now: int) -> list[LedgerLine]:
    """The shop's ledger rows since `since` in lines, newest first: a campaign's rows as one line, other rows
    as one line per kind and day. Each line carries the free balance after it, counted back from
    `balance_now` (the shop's free balance, which equals the sum of every row's delta). Two GROUP BY queries
    over the shop's rows since `since` (index shop, created_at)."""
    rows = CreditTransaction.objects.filter(shop_id=shop_id, created_at__gte=since)
    by_campaign = (rows.filter(campaign__isnull=False).values("campaign_id")
                   .annotate(campaign_name=Coalesce(Max("campaign__name"), Value("")), **_sums()))
    others = (rows.filter(campaign__isnull=True).annotate(day=TruncDate("created_at")).values("kind", "day")
              .annotate(**_sums()))
    lines = [LedgerLine(kind="campaign", day=None, **row) for row in by_campaign]
    lines += [LedgerLine(campaign_id=None, campaign_name="", **row) for row in others]
    lines.sort(key=lambda line: (line.last_at, line.campaign_id or 0), reverse=True)
    balance, ordered = balance_now, []
    for line in lines:
        ordered.append(replace(line, balance=balance))
        balance -= line.net
    return ordered
