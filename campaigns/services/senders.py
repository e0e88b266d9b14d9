"""The sender registry (ShopSender): which sender ids a shop may send from, so a campaign can never name, and
its shop never receive the replies of, a sender that is another shop's.

Ops register a sender once they verified the shop owns it (`shop_sender DOMAIN add SENDER`, or
`create_shop --sender`). A sender belongs to one shop; registering it to a second one needs `shared=True`
(`--shared`), an explicit decision that both shops send from it: its replies then follow the shared fallback
sender's rules (reports/inbound.py). The deployment's fallback sender (MITTO_SENDER) is never registered: every
shop without a sender of its own uses it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.fields import sender_clean
from campaigns.models import Campaign, Shop, ShopSender
from campaigns.services.errors import DomainError
from campaigns.services.locks import shop_lock

# Campaigns still to be sent (or being sent) from a sender: it cannot be removed under them.
_UNFINISHED = (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED, Campaign.Status.SENDING, Campaign.Status.PAUSED)


def number_variants(number: str) -> set[str]:
    """The spellings a numeric sender may be stored or reported in: with or without the leading '+'."""
    bare = number.strip().lstrip("+")
    return {bare, "+" + bare} if bare.isdigit() else {number.strip()}


def is_fallback_sender(sender: str) -> bool:
    """Whether `sender` is the deployment's shared fallback sender (MITTO_SENDER)."""
    fallback = settings.MITTO_SENDER
    return bool(fallback and sender) and bool(number_variants(sender) & number_variants(fallback))


def shop_senders(shop: Shop) -> list[str]:
    """The senders `shop` may send from, sorted."""
    return sorted(ShopSender.objects.filter(shop=shop).values_list("sender", flat=True))


def sender_owned_check(*, shop: Shop, sender: str) -> None:
    """Raise DomainError `invalid_sender` unless `sender` (cleaned, non-blank) is registered to `shop`."""
    if not ShopSender.objects.filter(shop=shop, sender=sender).exists():
        raise DomainError(
            "invalid_sender", f"The sender {sender!r} is not one of this shop's registered senders "
                              f"({', '.join(shop_senders(shop)) or 'none'}); ops register senders with shop_sender.",
        )


def _clean(sender: object) -> str:
    try:
        sender = sender_clean(sender)
    except ValueError as exc:
        raise ValidationError({"sender": [str(exc)]}) from exc
    if not sender:
        raise ValidationError({"sender": ["A sender id is required."]})
    return sender


def shop_sender_add(*, shop: Shop, sender: object, shared: bool = False) -> ShopSender:
    """Register `sender` (MITTO.md's sender rules, else ValidationError) to `shop`; a no-op when it is already.
    Refused (DomainError `sender_taken`) when another shop has it, unless `shared`, and always for the fallback
    sender. The first sender of a shop without one becomes its default."""
    sender = _clean(sender)
    if is_fallback_sender(sender):
        raise DomainError("sender_taken", f"{sender} is the shared fallback sender (MITTO_SENDER): every shop "
                                          "without a sender of its own uses it, none registers it.")
    with transaction.atomic():
        shop_lock(shop_id=shop.id)
        owners = sorted(ShopSender.objects.filter(sender=sender).exclude(shop=shop)
                        .values_list("shop__domain", flat=True))
        if owners and not shared:
            raise DomainError("sender_taken", f"{sender} is registered to {', '.join(owners)}; register it to "
                                              "more than one shop only if they really share it (--shared).")
        registered, _ = ShopSender.objects.get_or_create(shop=shop, sender=sender)
        if not Shop.objects.filter(id=shop.id).exclude(sender="").exists():
            Shop.objects.filter(id=shop.id).update(sender=sender)
    return registered


def shop_sender_remove(*, shop: Shop, sender: object) -> None:
    """Unregister `sender` from `shop` (DomainError `not_found` when it is not registered, `sender_in_use` while
    an unfinished campaign names it). When it was the shop's default, the shop falls back to MITTO_SENDER."""
    sender = _clean(sender)
    with transaction.atomic():
        shop_lock(shop_id=shop.id)
        in_use = Campaign.objects.filter(shop=shop, sender=sender, status__in=_UNFINISHED).count()
        if in_use:
            raise DomainError("sender_in_use", f"{in_use} unfinished campaign(s) of {shop.domain} name {sender}; "
                                               "finish, cancel or change them first.")
        if not ShopSender.objects.filter(shop=shop, sender=sender).delete()[0]:
            raise DomainError("not_found", f"{sender} is not registered to {shop.domain}.")
        Shop.objects.filter(id=shop.id, sender=sender).update(sender="")
