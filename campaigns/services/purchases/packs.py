"""The credit packs on sale (settings.CREDIT_PACKS, in settings.CREDIT_CURRENCY; parsed by config.credit_packs)."""

from django.conf import settings

from campaigns.services.errors import DomainError
from config.credit_packs import CreditPack


def credit_packs() -> tuple[CreditPack, ...]:
    """Every pack on sale, fewest credits first."""
    return settings.CREDIT_PACKS


def credit_pack(*, credits: int) -> CreditPack:
    """The pack of `credits` credits; DomainError `invalid_pack` when none is on sale."""
    for pack in credit_packs():
        if pack.credits == credits:
            return pack
    sizes = ", ".join(str(pack.credits) for pack in credit_packs())
    raise DomainError("invalid_pack", f"No pack of {credits} credits is on sale; the packs are {sizes}.")
