"""Pre-flight: what enqueueing a campaign would do now, computed by the same audience query enqueue uses."""

from dataclasses import dataclass

from django.utils import timezone

from campaigns.models import Shop
from campaigns.selectors import campaign_of_shop
from campaigns.services.audience.definition import audience_tags
from campaigns.services.audience.members import audience_breakdown
from campaigns.services.audience.quiet_count import audience_held_now
from campaigns.services.billing.pricing import segments_sql
from campaigns.services.compliance.message import campaign_size, campaign_text, frequency_cap_since
from campaigns.sms import compile_template

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
    frequency cap), and the exact credits it would hold: the sum over the messaged of the segments of each
    one's own rendered text (names and the shop's opt-out language), the very sum enqueue holds. `encoding`
    and `segments` are the body's quoted size (`campaign_size`, each placeholder counted as
    PLACEHOLDER_ESTIMATE), not a price. `held_quiet_hours`: how many of the messaged are in their quiet
    hours right now, so would be held if sent now; they are messaged when their window opens, so they stay
    inside `messaged` and the credits. Changes nothing."""
    campaign = campaign_of_shop(shop_id=shop.id, campaign_id=campaign_id)
    shop = Shop.objects.get(id=shop.id)
    size = campaign_size(campaign=campaign, shop=shop)
    cap_since, tags = frequency_cap_since(shop=shop, now=timezone.now()), audience_tags(campaign)
    template = compile_template(campaign_text(campaign=campaign, shop=shop))
    counts = audience_breakdown(
        shop_id=shop.id, tags=tags, cap_since=cap_since,
        segments=segments_sql(template, first_name="first_name", last_name="last_name"),
    )
    messaged, credits_needed = counts.pop("messaged"), counts.pop("credits")
    return Preflight(
        messaged=messaged, excluded={**counts, **STRUCTURALLY_NONE},
        held_quiet_hours=audience_held_now(shop=shop, tags=tags, cap_since=cap_since),
        encoding=size.encoding, segments=size.segments, credits_needed=credits_needed,
        credits_available=shop.credits,
    )
