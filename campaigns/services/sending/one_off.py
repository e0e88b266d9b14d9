"""Test sends: a campaign's message to one number, now, debited like any message, through the gateway.

Lock order: see campaigns.services.locks.
"""

import logging
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Campaign, Contact, Shop
from campaigns.phones import PhoneError, phone_normalise
from campaigns.selectors import campaign_of_shop
from campaigns.services.audience.send_summary import EXAMPLE_NAMES as SAMPLE_NAMES
from campaigns.services.billing.ledger import credits_debit_held, credits_hold, credits_release
from campaigns.services.compliance.message import campaign_text
from campaigns.services.errors import DomainError
from campaigns.services.links.codes import one_off_codes
from campaigns.services.links.store import campaign_links_store
from campaigns.services.locks import shop_lock
from campaigns.services.sending.gateway import provider_request_take, provider_send_one, sender_of, traffic_account_of
from campaigns.sms import BodyError, compile_template, measure
from messaging.client import OutboundMessage
from messaging.errors import MittoError
from messaging.models import MessageLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TestMessage:
    """A test send's message as it goes out and its cost: `segments` credits. The placeholders are filled from
    `contact`, the shop's contact with that number, or from the sample names (SAMPLE_NAMES) when it has none."""

    campaign: Campaign
    message: OutboundMessage
    segments: int
    contact: Contact | None

    @property
    def names(self) -> tuple[str, str]:
        return (self.contact.first_name, self.contact.last_name) if self.contact else SAMPLE_NAMES


class TestSent(NamedTuple):
    log: MessageLog
    test: TestMessage


def _prepared(*, shop: Shop, campaign_id: int, phone: str, store_links: bool) -> TestMessage:
    """The checked test message; with `store_links` its short links are stored and get one-off codes (a send),
    else the sample code of the same length stands in (a quote: nothing written)."""
    campaign = campaign_of_shop(
        shop_id=shop.id, campaign_id=campaign_id, queryset=Campaign.objects.select_related("shop")
    )
    if not campaign.shop.is_active:
        raise DomainError("shop_inactive", "The shop is suspended.")
    try:
        destination = phone_normalise(phone, region=campaign.shop.default_region)
    except PhoneError as exc:
        raise ValidationError({"phone": [str(exc)]}) from exc
    contact = (Contact.objects.filter(shop_id=campaign.shop_id, phone=destination)
               .only("first_name", "last_name", "opted_out_at").first())
    if contact is not None and contact.opted_out_at is not None:
        raise DomainError("opted_out", "This number opted out of the shop's messages; no test is sent to it.")
    try:
        template = compile_template(campaign_text(campaign=campaign, shop=campaign.shop))
    except BodyError as exc:
        raise DomainError("invalid_body", str(exc)) from exc
    codes = None
    if store_links and template.links:
        if campaign.status in Campaign.EDITABLE:
            with transaction.atomic():
                campaign_links_store(campaign_id=campaign.id, template=template)
        codes = one_off_codes(campaign_id=campaign.id, count=len(template.links))
    names = (contact.first_name, contact.last_name) if contact else SAMPLE_NAMES
    text = template.render_names(*names, codes)
    message = OutboundMessage(
        destination=destination, text=text, sender=sender_of(campaign), reference=f"t:{campaign.id}",
        traffic_account_id=traffic_account_of(campaign.shop),
    )
    return TestMessage(campaign, message, max(measure(text).segments, 1), contact)


def campaign_test_quote(*, shop: Shop, campaign_id: int, phone: str) -> TestMessage:
    """What a test send to `phone` would send and cost, with the same checks and refusals as the send
    (ValidationError for the phone, DomainError `opted_out`, `invalid_body`, `shop_inactive`). Changes nothing."""
    return _prepared(shop=shop, campaign_id=campaign_id, phone=phone, store_links=False)


def _log(*, shop: Shop, message: OutboundMessage, status: str, message_id=None, error: str = "") -> MessageLog:
    return MessageLog.objects.create(
        shop=shop, direction=MessageLog.Direction.OUTBOUND, kind="test", phone=message.destination,
        sender=message.sender, text=message.text, reference=message.reference, mitto_message_id=message_id,
        status=status, error=error[:255],
    )


def campaign_test_send(*, shop: Shop, campaign_id: int, phone: str) -> TestSent:
    """Send the campaign's text to `phone` now, its placeholders filled from the shop's contact with that
    number, else from the sample names (`TestSent.test` says which, and the segments charged). Its segments
    are held before the request and spent when the provider accepts it, released when it does not (502 provider_error);
    402 insufficient_credits, 429 rate_limited when our limiter is exhausted, 403 shop_inactive while the
    shop is suspended, 409 opted_out (nothing sent, nothing debited) when the number opted out of the shop.
    Logged as kind "test". Callers apply the per-shop test-send throttle (campaigns.api.throttles)."""
    test = _prepared(shop=shop, campaign_id=campaign_id, phone=phone, store_links=True)
    campaign, message, segments = test.campaign, test.message, test.segments
    decision = provider_request_take(shop=campaign.shop)
    if not decision.allowed:
        raise DomainError("rate_limited", f"Too many requests; try again in {decision.retry_after_s:.1f} s.")
    with transaction.atomic():
        shop_lock(shop_id=shop.id)
        credits_hold(shop_id=shop.id, amount=segments, note=f"test send of campaign {campaign.id}")
    try:
        outcome = provider_send_one(message)
        error = None if outcome.accepted else outcome.error or "rejected"
    except MittoError as exc:
        error = str(exc)
    note = f"test send of campaign {campaign.id}"
    with transaction.atomic():
        if error is not None:
            credits_release(shop_id=shop.id, amount=segments, note=f"{note} not accepted")
            _log(shop=shop, message=message, status="failed", error=error)
        else:
            credits_debit_held(shop_id=shop.id, amount=segments, note=note)
            return TestSent(_log(shop=shop, message=message, status="sent", message_id=outcome.message_id), test)
    logger.warning("test send of campaign %s failed: %s", campaign.id, error)
    raise DomainError("provider_error", f"The SMS provider did not accept the message: {error}")
