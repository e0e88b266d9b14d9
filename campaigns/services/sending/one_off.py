"""Test sends: a campaign's message to one number, now, debited like any message, through the gateway.

Lock order: see campaigns.services.locks.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Campaign, Contact, Shop
from campaigns.phones import PhoneError, phone_normalise
from campaigns.selectors import campaign_of_shop
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


def _prepared(*, shop: Shop, campaign_id: int, phone: str) -> tuple[Campaign, OutboundMessage, int]:
    campaign = campaign_of_shop(
        shop_id=shop.id, campaign_id=campaign_id, queryset=Campaign.objects.select_related("shop")
    )
    if not campaign.shop.is_active:
        raise DomainError("shop_inactive", "The shop is suspended.")
    try:
        destination = phone_normalise(phone, region=campaign.shop.default_region)
    except PhoneError as exc:
        raise ValidationError({"phone": [str(exc)]}) from exc
    if Contact.objects.filter(shop_id=campaign.shop_id, phone=destination, opted_out_at__isnull=False).exists():
        raise DomainError("opted_out", "This number opted out of the shop's messages; no test is sent to it.")
    try:
        template = compile_template(campaign_text(campaign=campaign, shop=campaign.shop))
    except BodyError as exc:
        raise DomainError("invalid_body", str(exc)) from exc
    if template.links and campaign.status in Campaign.EDITABLE:
        with transaction.atomic():
            campaign_links_store(campaign_id=campaign.id, template=template)
    text = template.render_names("", "", one_off_codes(campaign_id=campaign.id, count=len(template.links)))
    message = OutboundMessage(
        destination=destination, text=text, sender=sender_of(campaign), reference=f"t:{campaign.id}",
        traffic_account_id=traffic_account_of(campaign.shop),
    )
    return campaign, message, max(measure(text).segments, 1)


def _log(*, shop: Shop, message: OutboundMessage, status: str, message_id=None, error: str = "") -> MessageLog:
    return MessageLog.objects.create(
        shop=shop, direction=MessageLog.Direction.OUTBOUND, kind="test", phone=message.destination,
        sender=message.sender, text=message.text, reference=message.reference, mitto_message_id=message_id,
        status=status, error=error[:255],
    )


def campaign_test_send(*, shop: Shop, campaign_id: int, phone: str) -> MessageLog:
    """Send the campaign's text (placeholders empty) to `phone` now. Its segments are held before the
    request and spent when the provider accepts it, released when it does not (502 provider_error);
    402 insufficient_credits, 429 rate_limited when our limiter is exhausted, 403 shop_inactive while the
    shop is suspended, 409 opted_out (nothing sent, nothing debited) when the number opted out of the shop.
    Logged as kind "test". Callers apply the per-shop test-send throttle (campaigns.api.throttles)."""
    campaign, message, segments = _prepared(shop=shop, campaign_id=campaign_id, phone=phone)
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
            return _log(shop=shop, message=message, status="sent", message_id=outcome.message_id)
    logger.warning("test send of campaign %s failed: %s", campaign.id, error)
    raise DomainError("provider_error", f"The SMS provider did not accept the message: {error}")
