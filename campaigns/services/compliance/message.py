"""The rules every campaign message follows, shared by enqueue, pre-flight, sending and the admin: the opt-out
language it carries (and so its quoted size), and the frequency cap's cut-off."""

from dataclasses import replace
from datetime import datetime, timedelta

from campaigns.models import Campaign, Shop
from campaigns.services.errors import DomainError
from campaigns.sms import BodyError, TextSize, measure_body

DEFAULT_OPT_OUT_TEXT = "Reply STOP to opt out"


def opt_out_suffix(shop: Shop) -> str:
    """What is appended to each campaign message of the shop: its own text or the default, or nothing."""
    if not shop.append_opt_out:
        return ""
    return "\n" + (shop.opt_out_text.strip() or DEFAULT_OPT_OUT_TEXT)


def frequency_cap_since(*, shop: Shop, now: datetime) -> datetime | None:
    """The cut-off of the shop's frequency cap: contacts messaged since then are skipped (None: cap off)."""
    if not shop.frequency_cap_hours:
        return None
    return now - timedelta(hours=shop.frequency_cap_hours)


def campaign_text(*, campaign: Campaign, shop: Shop) -> str:
    """The template every recipient gets: the body plus the shop's opt-out language (counted in segments)."""
    return campaign.body + opt_out_suffix(shop)


def campaign_size(*, campaign: Campaign, shop: Shop) -> TextSize:
    """The encoding and segments each message of the campaign is quoted and charged at: `campaign_text`
    measured with each placeholder counted as PLACEHOLDER_ESTIMATE, at least one segment. The one measure
    behind the stored segments, the pre-flight, enqueue's credit hold and the admin's preview (an unsaved
    Campaign carries a body being typed). DomainError `invalid_body` when the body does not compile."""
    try:
        size = measure_body(campaign_text(campaign=campaign, shop=shop))
    except BodyError as exc:
        raise DomainError("invalid_body", str(exc)) from exc
    return replace(size, segments=max(size.segments, 1))
