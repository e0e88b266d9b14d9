"""Compliance rules shared by enqueue, preflight, sending and the admin: the opt-out language a campaign's
messages carry (and so their quoted size), and the send-time consent check's outcome for recipients who
opted out after enqueue."""

from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction

from campaigns.models import Batch, Campaign, Shop
from campaigns.services import sql
from campaigns.services.credits import credits_release
from campaigns.services.errors import DomainError
from campaigns.services.quiet import recipients_hold
from campaigns.sms import BodyError, TextSize, measure_body
from metrics.services import deltas_for_transitions, metrics_apply

DEFAULT_OPT_OUT_TEXT = "Reply STOP to opt out"
OPTED_OUT = "opted_out"


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


def recipients_exclude(
    *, campaign: Campaign, batch: Batch, opted_out: list[int], held: list[tuple[int, datetime]]
) -> tuple[int, int]:
    """What the send-time checks found, in one transaction (lock order: recipients → shop → counters):
    recipients whose contacts opted out since enqueue become `cancelled` with error `opted_out` and their
    held credits are released; recipients in quiet hours are held (out of the batch, still queued, counted
    in `held`). A recipient no longer queued is left alone. Returns (cancelled, held)."""
    if not opted_out and not held:
        return 0, 0
    with transaction.atomic():
        cancelled = sql.recipients_cancel_queued(ids=opted_out, error=OPTED_OUT)
        moved = recipients_hold(held=held)
        credits_release(
            shop_id=campaign.shop_id, amount=cancelled * campaign.segments, campaign_id=campaign.id,
            batch_id=batch.id, note=OPTED_OUT,
        )
        deltas = deltas_for_transitions({("queued", "cancelled"): cancelled})
        metrics_apply(campaign_id=campaign.id, deltas={**deltas, "held": moved})
    return cancelled, moved
