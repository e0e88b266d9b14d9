"""Shopify's mandatory privacy webhooks (SHOPIFY.md): a customer's data exported for the merchant
(customers/data_request), a customer's personal data erased (customers/redact), a shop's data erased (shop/redact).

Erasing a customer replaces their phone, wherever it is stored, with a token made from HMAC-SHA256(SECRET_KEY) of
it (one-way), blanks their names and the texts of their messages, and keeps the full hash as a SuppressedPhone:
an opted-out number stays suppressed if it comes back, and campaign counts stay right (recipient rows remain).
"""

import json
import logging
from datetime import datetime

from django.db.models import Q

from campaigns.models import (
    CampaignRecipient,
    ConsentEvent,
    Contact,
    LinkClick,
    Shop,
    ShopifyDataExport,
    ShopifyWebhook,
    SuppressedPhone,
)
from campaigns.services.contacts.suppression import phone_hash, phone_token
from campaigns.services.shopify_sync.customers import customer_phone
from messaging.models import MessageLog

logger = logging.getLogger(__name__)
REDACTED_BODY = '{"redacted": true}'


def customer_contacts(*, shop: Shop, customer_id: int | None, phone: str | None):
    """The shop's contacts of a Shopify customer: by customer id, or by the phone Shopify names."""
    match = Q(pk__in=[])
    if customer_id is not None:
        match |= Q(shopify_customer_id=customer_id)
    normalised = customer_phone(phone, region=shop.default_region)
    if normalised:
        match |= Q(phone=normalised)
    return Contact.objects.filter(match, shop=shop)


def customer_data_export(*, shop: Shop, webhook_id: str, customer_id: int | None, phone: str | None,
                         request_id: int | None) -> ShopifyDataExport:
    """Store (once per webhook) everything held about the customer: contacts, consent history, campaign messages,
    their link clicks and other messages to or from their phone. The merchant downloads it from the admin."""
    contacts = list(customer_contacts(shop=shop, customer_id=customer_id, phone=phone))
    phones = sorted({contact.phone for contact in contacts}
                    | {p for p in [customer_phone(phone, region=shop.default_region)] if p})
    recipients = CampaignRecipient.objects.filter(campaign__shop=shop, phone__in=phones)
    data = {
        "shop": shop.domain, "customer_id": customer_id, "data_request_id": request_id,
        "contacts": [_contact(contact) for contact in contacts],
        "consent_history": list(ConsentEvent.objects.filter(shop=shop, phone__in=phones).order_by("occurred_at")
                                .values("phone", "action", "source", "detail", "occurred_at")),
        "campaign_messages": list(recipients.order_by("id").values("phone", "campaign__name", "status", "sent_at",
                                                                   "delivered_at", "error")),
        "link_clicks": list(LinkClick.objects.filter(recipient_id__in=recipients.values("id")).order_by("clicked_at")
                            .values("campaign_id", "position", "clicked_at", "is_bot")),
        "other_messages": list(MessageLog.objects.filter(shop=shop, phone__in=phones).order_by("id")
                               .values("phone", "direction", "kind", "text", "status", "created_at")),
    }
    export, _ = ShopifyDataExport.objects.get_or_create(
        webhook_id=webhook_id, defaults={"shop": shop, "customer_id": customer_id, "request_id": request_id,
                                         "data": json.loads(json.dumps(data, default=str))})
    return export


def _contact(contact: Contact) -> dict:
    return {"phone": contact.phone, "first_name": contact.first_name, "last_name": contact.last_name,
            "tags": contact.tags, "sms_consent": contact.sms_consent, "consent_at": contact.consent_at,
            "consent_source": contact.consent_source, "opted_out_at": contact.opted_out_at,
            "shopify_customer_id": contact.shopify_customer_id, "created_at": contact.created_at}


def customer_redact(*, shop: Shop, customer_id: int | None, phone: str | None, now: datetime) -> int:
    """Erase the customer's personal data in every table (see the module's docstring); the phones erased.
    A repeat finds nothing left to erase."""
    contacts = customer_contacts(shop=shop, customer_id=customer_id, phone=phone)
    phones = set(contacts.values_list("phone", flat=True))
    normalised = customer_phone(phone, region=shop.default_region)
    if normalised:
        phones.add(normalised)
    raw = {p for p in (phone, *phones) if p}
    for number in sorted(phones):
        token = phone_token(number)
        SuppressedPhone.objects.get_or_create(shop=shop, phone_hash=phone_hash(number))
        Contact.objects.filter(shop=shop, phone=number).update(
            phone=token, first_name="", last_name="", tags=[], sms_consent=False, shopify_customer_id=None,
            opted_out_at=now, consent_source="redacted", updated_at=now)
        ConsentEvent.objects.filter(shop=shop, phone=number).update(phone=token, detail="")
        CampaignRecipient.objects.filter(campaign__shop=shop, phone=number).update(phone=token)
        MessageLog.objects.filter(Q(shop=shop) | Q(shop__isnull=True), phone=number).update(phone=token, text="")
    if customer_id is not None:
        Contact.objects.filter(shop=shop, shopify_customer_id=customer_id).update(
            first_name="", last_name="", shopify_customer_id=None)
    _webhook_bodies_erase(shop=shop, phones=raw, customer_id=customer_id)
    ShopifyDataExport.objects.filter(shop=shop, customer_id=customer_id).delete()
    logger.info("Shopify customer of %s redacted: %s phone(s) erased", shop.domain, len(phones))
    return len(phones)


def _webhook_bodies_erase(*, shop: Shop, phones: set[str], customer_id: int | None) -> None:
    """The shop's stored deliveries naming one of the phones, or the customer as an `"id"` (theirs, or in an
    order's `customer`), keep only a mark that they were erased."""
    match = Q(pk__in=[])
    for phone in phones:
        match |= Q(body__contains=phone)
    if customer_id is not None:
        match |= Q(body__regex=rf'"id"\s*:\s*"?(gid://shopify/Customer/)?{customer_id}[^0-9]')
    ShopifyWebhook.objects.filter(match, shop_domain=shop.domain).update(body=REDACTED_BODY)


def shop_redact(*, domain: str) -> bool:
    """Erase a shop's data: the shop and everything of it (contacts, consent history, campaigns and their
    recipients, ledger, install, exports), its messages and stored webhooks. Refused (False) while the app is
    installed again: Shopify sends this 48 hours after an uninstall."""
    shop = Shop.objects.filter(domain=domain).select_related("shopify_install").first()
    if shop is not None:
        install = getattr(shop, "shopify_install", None)
        if install is not None and install.connected:
            logger.warning("shop/redact for %s ignored: the app is installed again", domain)
            return False
        MessageLog.objects.filter(shop=shop).delete()
        shop.delete()
    ShopifyWebhook.objects.filter(shop_domain=domain).update(body=REDACTED_BODY)
    logger.info("Shopify shop %s redacted", domain)
    return True
