"""Pre-flight: what enqueueing a campaign would do now, computed by the same audience query enqueue uses."""

from dataclasses import dataclass

from django.utils import timezone

from campaigns.models import Campaign, Contact, Shop
from campaigns.services import sql
from campaigns.services.compliance import campaign_size, frequency_cap_since
from campaigns.services.enqueue import audience_tags
from campaigns.services.errors import DomainError
from campaigns.services.quiet import audience_held_now

# Exclusions that cannot happen, reported as 0 so the answer names every reason of the issue:
# - duplicate: an audience is one shop's contacts, unique per (shop, phone), and recipients are unique per
#   (campaign, phone), so no phone is ever in one campaign twice.
# - invalid_number: every way a contact is written (API, bulk API, CSV import, admin) stores its phone only
#   after phone_normalise found it a valid number (E.164); a valid number that Mitto still rejects fails at
#   send time, with its credits released, and cannot be foreseen here.
STRUCTURALLY_NONE = {"duplicate": 0, "invalid_number": 0}


@dataclass(frozen=True)
class Preflight:
    messaged: int
    excluded: dict[str, int]
    held_quiet_hours: int
    encoding: str
    segments: int
    credits_needed: int
    credits_available: int


def campaign_preflight(*, shop: Shop, campaign_id: int) -> Preflight:
    """How many of the campaign's audience an enqueue now would message, how many it would leave out and
    why (no consent, opted out, duplicate and invalid number — both structurally 0, see STRUCTURALLY_NONE —
    frequency cap), and the exact credits it would hold (messaged × segments of the body with the shop's
    opt-out language). `held_quiet_hours`: how many of the messaged are in their quiet hours right now, so
    would be held if sent now; they are messaged when their window opens, so they stay inside `messaged`
    and the credits. Changes nothing."""
    campaign = Campaign.objects.filter(id=campaign_id, shop_id=shop.id).first()
    if campaign is None:
        raise DomainError("not_found", "No such campaign.")
    shop = Shop.objects.get(id=shop.id)
    size = campaign_size(campaign=campaign, shop=shop)
    cap_since, tags = frequency_cap_since(shop=shop, now=timezone.now()), audience_tags(campaign)
    counts = sql.audience_breakdown(shop_id=shop.id, tags=tags, cap_since=cap_since)
    messaged, segments = counts.pop("messaged"), size.segments
    return Preflight(
        messaged=messaged, excluded={**counts, **STRUCTURALLY_NONE},
        held_quiet_hours=audience_held_now(shop=shop, tags=tags, cap_since=cap_since),
        encoding=size.encoding, segments=segments, credits_needed=messaged * segments,
        credits_available=shop.credits,
    )


def contact_consent_history(*, shop: Shop, contact_id: int) -> tuple[Contact, list[dict]]:
    """The contact and every consent event of its phone in the shop, oldest first (events outlive a
    deleted and re-created contact, so they are matched by phone)."""
    contact = Contact.objects.filter(id=contact_id, shop_id=shop.id).first()
    if contact is None:
        raise DomainError("not_found", "No such contact.")
    events = shop.consent_events.filter(phone=contact.phone).order_by("occurred_at", "id")
    return contact, list(events.values("action", "source", "detail", "occurred_at"))
