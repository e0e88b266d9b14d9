"""Erased phones: the one-way hash kept of a redacted customer's number, and the token that stands in for it."""

import hashlib
import hmac

from django.conf import settings

from campaigns.models import Shop, SuppressedPhone


def phone_hash(phone: str) -> str:
    """HMAC-SHA256 of the E.164 phone keyed with SECRET_KEY, hex: the only trace of an erased number."""
    return hmac.new(settings.SECRET_KEY.encode(), phone.encode(), hashlib.sha256).hexdigest()


def phone_token(phone: str) -> str:
    """What an erased phone becomes in rows that need a unique value there: `~` and 19 hex digits of its hash."""
    return "~" + phone_hash(phone)[:19]


def suppressed_phones(*, shop: Shop, phones: list[str]) -> set[str]:
    """Those of `phones` erased from this shop before (one query, none when the shop erased no one)."""
    hashes = set(SuppressedPhone.objects.filter(shop=shop).values_list("phone_hash", flat=True)[:1])
    if not hashes:
        return set()
    by_hash = {phone_hash(phone): phone for phone in phones}
    found = SuppressedPhone.objects.filter(shop=shop, phone_hash__in=list(by_hash)).values_list("phone_hash", flat=True)
    return {by_hash[h] for h in found}
