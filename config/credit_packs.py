"""The credit packs on sale, parsed from `CREDIT_PACKS` (`credits:price,…`, e.g. `1000:12.00,5000:55.00`) and
`CREDIT_CURRENCY` (an ISO 4217 code). Read by config/settings.py at start-up: a bad value stops it."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_CREDITS = 10_000_000
MAX_PRICE = Decimal("100000.00")
_PACK = re.compile(r"(\d{1,9}):(\d{1,6}(?:\.\d{1,2})?)")


@dataclass(frozen=True, slots=True)
class CreditPack:
    credits: int
    price: Decimal

    @property
    def price_per_credit(self) -> Decimal:
        return (self.price / self.credits).quantize(Decimal("0.0001"))


def parse_credit_packs(text: str) -> tuple[CreditPack, ...]:
    """The packs of `text`, fewest credits first. ValueError naming the first bad item: not `credits:price`,
    credits not 1..MAX_CREDITS, a price not above 0 (at most 2 decimals, at most MAX_PRICE), a size repeated."""
    packs: dict[int, CreditPack] = {}
    for item in (part.strip() for part in text.split(",")):
        match = _PACK.fullmatch(item)
        if match is None:
            raise ValueError(f"{item!r} is not credits:price (e.g. 1000:12.00)")
        credits = int(match.group(1))
        try:
            price = Decimal(match.group(2)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValueError(f"{item!r} has no valid price") from None
        if not 1 <= credits <= MAX_CREDITS:
            raise ValueError(f"{item!r}: credits must be 1 to {MAX_CREDITS}")
        if not Decimal(0) < price <= MAX_PRICE:
            raise ValueError(f"{item!r}: the price must be above 0 and at most {MAX_PRICE}")
        if credits in packs:
            raise ValueError(f"{item!r}: a pack of {credits} credits is listed twice")
        packs[credits] = CreditPack(credits=credits, price=price)
    return tuple(sorted(packs.values(), key=lambda pack: pack.credits))


def parse_currency(text: str) -> str:
    """An ISO 4217 code (three letters, any case) in upper case; ValueError otherwise."""
    if not re.fullmatch(r"[A-Za-z]{3}", text.strip()):
        raise ValueError(f"{text!r} is not a three-letter currency code (e.g. USD)")
    return text.strip().upper()
