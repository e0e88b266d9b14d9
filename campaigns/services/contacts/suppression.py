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


def phone_hash_sql(column: str) -> tuple[str, dict]:
    """`phone_hash` of a text column as an SQL expression, and its parameters: HMAC-SHA256 written with
    PostgreSQL's sha256(), the key's inner and outer pads computed here (RFC 2104), so a set of staged phones is
    checked against the erased ones in one statement."""
    key = settings.SECRET_KEY.encode()
    key = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    pads = {"hmac_inner": bytes(b ^ 0x36 for b in key), "hmac_outer": bytes(b ^ 0x5C for b in key)}
    return (f"encode(sha256(%(hmac_outer)s::bytea || sha256(%(hmac_inner)s::bytea || convert_to({column}, 'UTF8'))),"
            " 'hex')", pads)


def shop_has_suppressed(*, shop: Shop) -> bool:
    return SuppressedPhone.objects.filter(shop=shop).exists()


def suppressed_phones(*, shop: Shop, phones: list[str]) -> set[str]:
    """Those of `phones` erased from this shop before (one query, none when the shop erased no one)."""
    if not shop_has_suppressed(shop=shop):
        return set()
    by_hash = {phone_hash(phone): phone for phone in phones}
    found = SuppressedPhone.objects.filter(shop=shop, phone_hash__in=list(by_hash)).values_list("phone_hash", flat=True)
    return {by_hash[h] for h in found}
