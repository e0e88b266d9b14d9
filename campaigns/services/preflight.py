"""Pre-flight: what enqueueing a campaign would do now, computed by the same audience query enqueue uses."""

from dataclasses import dataclass

from django.utils import timezone

from campaigns.models import Campaign, Contact, Shop
from campaigns.services import sql
from campaigns.services.compliance import campaign_size, frequency_cap_since
from campaigns.services.enqueue import audience_tags
from campaigns.services.errors import DomainError


@dataclass(frozen=True)
class Preflight:
    messaged: int
    excluded: dict[str, int]
    encoding: str
    segments: int
    credits_needed: int
    credits_available: int


def campaign_preflight(*, shop: Shop, campaign_id: int) -> Preflight:
    """How many of the campaign's audience an enqueue now would message, how many it would leave out and
    why (no consent, opted out, frequency cap), and the exact credits it would hold (messaged × segments
    of the body with the shop's opt-out language). Changes nothing."""
    campaign = Campaign.objects.filter(id=campaign_id, shop_id=shop.id).first()
    if campaign is None:
        raise DomainError("not_found", "No such campaign.")
    shop = Shop.objects.get(id=shop.id)
    size = campaign_size(campaign=campaign, shop=shop)
    cap_since = frequency_cap_since(shop=shop, now=timezone.now())
    counts = sql.audience_breakdown(shop_id=shop.id, tags=audience_tags(campaign), cap_since=cap_since)
    messaged, segments = counts.pop("messaged"), size.segments
    return Preflight(
        messaged=messaged, excluded=counts, encoding=size.encoding, segments=segments,
        credits_needed=messaged * segments, credits_available=shop.credits,
    )


def contact_consent_history(*, shop: Shop, contact_id: int) -> tuple[Contact, list[dict]]:
    """The contact and every consent event of its phone in the shop, oldest first (events outlive a
    deleted and re-created contact, so they are matched by phone)."""
    contact = Contact.objects.filter(id=contact_id, shop_id=shop.id).first()
    if contact is None:
        raise DomainError("not_found", "No such contact.")
    events = shop.consent_events.filter(phone=contact.phone).order_by("occurred_at", "id")
    return contact, list(events.values("action", "source", "detail", "occurred_at"))
