"""Shops (tenants): creating one with its opening credits recorded in the ledger; ops' top-ups."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from campaigns.fields import sender_clean
from campaigns.models import Shop
from campaigns.services.billing.ledger import credits_topup
from campaigns.services.errors import DomainError
from campaigns.services.locks import shop_lock
from campaigns.services.senders import shop_sender_add

MAX_CREDITS = 2**63 - 1
_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def shop_create(*, domain: str, credits: int = 0, sender: str = "", name: str = "") -> Shop:
    """Create a shop. Opening credits are a `topup` in the ledger, so the balance equals the ledger's sum; a
    `sender` is registered to it (services/senders.py) as its default. Raises ValidationError for a bad domain,
    sender or amount, DomainError `shop_exists` for a known domain, `sender_taken` for another shop's sender.
    Run it in a transaction to have nothing created when the sender is refused."""
    domain = domain.strip().lower()
    errors = {}
    if len(domain) > 255 or not _DOMAIN.fullmatch(domain):
        errors["domain"] = ["Must be a domain name such as example.myshopify.com."]
    if not 0 <= credits <= MAX_CREDITS:
        errors["credits"] = [f"Must be between 0 and {MAX_CREDITS}."]
    try:
        sender = sender_clean(sender)
    except ValueError as exc:
        errors["sender"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            shop = Shop.objects.create(domain=domain, name=name or domain)
            credits_topup(shop_id=shop.id, amount=credits, note="opening credits")
    except IntegrityError as exc:
        raise DomainError("shop_exists", f"A shop with domain {domain} exists already.") from exc
    if sender:
        shop_sender_add(shop=shop, sender=sender)
        shop.refresh_from_db()
    return shop


def shop_credits_add(*, domain: str, amount: int, note: str = "") -> Shop:
    """Top up the shop of `domain` by `amount` credits (ops): one `topup` in the ledger, under the shop's lock.
    ValidationError for an amount not above 0 or a note over 200 characters, DomainError `not_found` for an
    unknown domain. Returns the shop with its new balance."""
    errors = {}
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_CREDITS:
        errors["amount"] = [f"Must be a whole number between 1 and {MAX_CREDITS}."]
    if len(note) > 200:
        errors["note"] = ["At most 200 characters."]
    if errors:
        raise ValidationError(errors)
    shop = Shop.objects.filter(domain=domain.strip().lower()).first()
    if shop is None:
        raise DomainError("not_found", f"No shop has the domain {domain}.")
    with transaction.atomic():
        shop_lock(shop_id=shop.id)
        shop.refresh_from_db(fields=["credits"])
        if shop.credits + amount > MAX_CREDITS:
            raise ValidationError({"amount": [f"The balance would exceed {MAX_CREDITS}."]})
        credits_topup(shop_id=shop.id, amount=amount, note=note or "top-up")
    shop.refresh_from_db()
    return shop
