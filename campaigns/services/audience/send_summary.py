"""What a merchant confirms before a campaign goes out: the pre-flight, the sender, the text as a real contact
of the audience gets it, when it goes out in the shop's time zone, and what makes the send worth a second look
(the same audience texted in the last 24 hours, too few credits)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from campaigns.models import Campaign, Contact, Shop
from campaigns.selectors import campaign_of_shop
from campaigns.services.audience.definition import audience_tags
from campaigns.services.audience.members import audience_breakdown
from campaigns.services.audience.preflight import Preflight, campaign_preflight
from campaigns.services.compliance.message import campaign_text
from campaigns.sms import compile_template

RECENT = timedelta(hours=24)
EXAMPLE_NAMES = ("Alex", "Smith")


@dataclass(frozen=True)
class SendSummary:
    campaign: Campaign
    preflight: Preflight
    sender: str
    example_text: str
    example_is_real: bool
    send_at: datetime
    time_zone: str
    texted_recently: int
    recent_campaigns: list[str]

    @property
    def shortfall(self) -> int:
        return max(self.preflight.credits_needed - self.preflight.credits_available, 0)


def shop_zone(shop: Shop) -> ZoneInfo:
    """The shop's time zone; UTC when its name is not a known zone."""
    try:
        return ZoneInfo(shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def campaign_send_summary(*, shop: Shop, campaign_id: int, send_at: datetime | None = None) -> SendSummary:
    """What sending the shop's campaign at `send_at` (None: now) would do, as `campaign_preflight` computes it
    (credits exactly as enqueue holds them), with the text the first messageable contact of the audience would
    get (names filled, opt-out language included; example names when the audience is empty), `send_at` in the
    shop's time zone, how many of the audience were texted in the last 24 hours and which other campaigns of
    the shop to an overlapping audience were started then. DomainError `not_found` / `invalid_body` as the
    pre-flight. Changes nothing."""
    campaign = campaign_of_shop(shop_id=shop.id, campaign_id=campaign_id)
    shop = Shop.objects.get(id=shop.id)
    plan = campaign_preflight(shop=shop, campaign_id=campaign.id)
    tags = audience_tags(campaign)
    template = compile_template(campaign_text(campaign=campaign, shop=shop))
    contact = _first_messageable(shop=shop, tags=tags)
    names = (contact.first_name, contact.last_name) if contact else EXAMPLE_NAMES
    now = timezone.now()
    zone = shop_zone(shop)
    return SendSummary(
        campaign=campaign, preflight=plan, sender=campaign.sender or shop.sender,
        example_text=template.render_names(*names), example_is_real=contact is not None,
        send_at=(send_at or now).astimezone(zone), time_zone=str(zone),
        texted_recently=audience_breakdown(shop_id=shop.id, tags=tags, cap_since=now - RECENT)["frequency_cap"],
        recent_campaigns=_recent_overlapping(campaign=campaign, tags=tags, since=now - RECENT),
    )


def _first_messageable(*, shop: Shop, tags: list[str]) -> Contact | None:
    contacts = Contact.objects.filter(shop_id=shop.id, sms_consent=True, opted_out_at__isnull=True)
    if tags:
        contacts = contacts.filter(tags__has_any_keys=tags)
    return contacts.order_by("id").only("first_name", "last_name").first()


def _recent_overlapping(*, campaign: Campaign, tags: list[str], since: datetime) -> list[str]:
    """Names of the shop's other campaigns started since `since` whose audience shares contacts with this one
    by definition (either is everyone, or they share a tag)."""
    started = (Campaign.objects.filter(shop_id=campaign.shop_id, enqueued_at__gte=since)
               .exclude(id=campaign.id).order_by("-enqueued_at")[:100])
    wanted = set(tags)
    return [other.name for other in started
            if not wanted or not audience_tags(other) or wanted & set(audience_tags(other))]
