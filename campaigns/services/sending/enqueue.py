"""Enqueue: a draft or scheduled campaign becomes `sending` with its recipients (each priced by its own rendered
text), batches, counters and the exact credit hold, all in one transaction; its first batches go to the broker
after commit.

Lock order: see campaigns.services.locks (shop → campaign; the recipients and batches it inserts are new rows).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Shop
from campaigns.selectors import campaign_of_shop
from campaigns.services.audience.definition import audience_tags
from campaigns.services.audience.members import audience_breakdown, recipients_materialise
from campaigns.services.billing.ledger import ENQUEUE_HOLD, credits_hold
from campaigns.services.billing.moved import Moved
from campaigns.services.billing.pricing import least_segments, segments_sql
from campaigns.services.compliance.message import campaign_size, campaign_text, frequency_cap_since
from campaigns.services.errors import DomainError
from campaigns.services.links.store import campaign_links_store
from campaigns.services.senders import sender_owned_check
from campaigns.services.sending import dispatch
from campaigns.services.sending.batch_states import batches_create_counted, batches_create_numbered
from campaigns.services.sending.gateway import sender_of
from campaigns.sms import compile_template
from metrics.services import metrics_create


@dataclass(frozen=True)
class EnqueueResult:
    created: int
    batches: int
    skipped_frequency_cap: int = 0


def _locked(*, shop_id: int, campaign_id: int) -> tuple[Shop, Campaign]:
    """Lock the shop row first (so enqueues of one shop run one at a time and cannot overspend), then the
    campaign; another shop's campaign is not found."""
    shop = Shop.objects.select_for_update(no_key=True).get(id=shop_id)
    campaign = campaign_of_shop(
        shop_id=shop_id, campaign_id=campaign_id, queryset=Campaign.objects.select_for_update(no_key=True)
    )
    return shop, campaign


def _check(*, shop: Shop, campaign: Campaign) -> None:
    if campaign.status not in Campaign.EDITABLE:
        raise DomainError(
            "invalid_status", f"The campaign is {campaign.status}; only a draft or scheduled one is enqueued."
        )
    if not shop.is_active:
        raise DomainError("shop_inactive", "The shop is suspended.")
    size = campaign_size(campaign=campaign, shop=shop)
    campaign.encoding, campaign.segments = size.encoding, size.segments
    if campaign.sender:  # a campaign from before the sender registry may name a sender its shop does not own
        sender_owned_check(shop=shop, sender=campaign.sender)


def _materialise(
    *, campaign: Campaign, tags: list[str], cap_since: datetime | None, segments: tuple[str, list]
) -> tuple[Moved, int]:
    """Insert the recipients, each priced by `segments`, and their Batch rows; (recipients and their
    segments, batches). When the campaign had no recipient before, no row of the INSERT can be skipped
    (contacts are unique per shop and phone), so the batch numbers have no gaps and the Batch rows are
    numbered without counting a million rows again."""
    size, now = settings.SMS_BATCH_SIZE, timezone.now()
    fresh = not CampaignRecipient.objects.filter(campaign_id=campaign.id).exists()
    created = recipients_materialise(
        campaign_id=campaign.id, shop_id=campaign.shop_id, tags=tags, batch_size=size, segments=segments,
        cap_since=cap_since, fresh=fresh,
    )
    if not created.rows:
        raise DomainError("no_recipients", "The audience has no consenting contact.")
    if fresh:
        batches = batches_create_numbered(campaign_id=campaign.id, recipients=created.rows, batch_size=size, now=now)
    else:
        batches = batches_create_counted(campaign_id=campaign.id, now=now)
    return created, batches


def _refuse_short(*, shop: Shop, needed: int) -> None:
    if shop.credits < needed:
        raise DomainError(
            "insufficient_credits", f"Sending needs {needed} credits; the shop has {shop.credits} free."
        )


def campaign_enqueue(*, shop: Shop, campaign_id: int) -> EnqueueResult:
    """Materialise the recipients (one per consenting, not opted-out audience phone not messaged within the
    shop's frequency cap; the skipped ones are counted in the result), each with the segments of its own
    rendered text (names and opt-out language: billing.pricing), number them into batches of
    SMS_BATCH_SIZE, create the Batch rows and the counters, hold the exact sum of their segments and mark
    the campaign `sending` — all or nothing: 402 insufficient_credits (nothing kept) when the free credits
    are below that sum. A second enqueue is refused (invalid_status), so nothing is ever queued twice. The
    first batches are dispatched after commit."""
    with transaction.atomic():
        shop, campaign = _locked(shop_id=shop.id, campaign_id=campaign_id)
        _check(shop=shop, campaign=campaign)
        template = compile_template(campaign_text(campaign=campaign, shop=shop))
        tags, cap_since = audience_tags(campaign), frequency_cap_since(shop=shop, now=timezone.now())
        breakdown = audience_breakdown(shop_id=shop.id, tags=tags, cap_since=cap_since)
        expected = breakdown["messaged"]
        if not expected:
            raise DomainError("no_recipients", "The audience has no consenting contact.")
        pricing = segments_sql(template, first_name="first_name", last_name="last_name")
        if shop.credits < expected * least_segments(template):  # short for sure: say by how much, insert nothing
            priced = audience_breakdown(shop_id=shop.id, tags=tags, cap_since=cap_since, segments=pricing)
            _refuse_short(shop=shop, needed=priced["credits"])
        created, batches = _materialise(campaign=campaign, tags=tags, cap_since=cap_since, segments=pricing)
        campaign_links_store(campaign_id=campaign.id, template=template)
        _refuse_short(shop=shop, needed=created.segments)
        credits_hold(shop_id=shop.id, amount=created.segments, campaign_id=campaign.id, note=ENQUEUE_HOLD)
        metrics_create(campaign_id=campaign.id, total=created.rows)
        campaign.status, campaign.enqueued_at = Campaign.Status.SENDING, timezone.now()
        campaign.sent_from = sender_of(campaign)
        campaign.save(update_fields=["status", "enqueued_at", "encoding", "segments", "sent_from", "updated_at"])
        dispatch.batches_dispatch_on_commit(campaign_id=campaign.id)
    return EnqueueResult(created=created.rows, batches=batches, skipped_frequency_cap=breakdown["frequency_cap"])
