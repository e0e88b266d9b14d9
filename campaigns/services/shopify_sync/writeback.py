"""Consent both ways: a reply STOP or START of ours written back to Shopify (`customerSmsMarketingConsentUpdate`)
by a task sent after commit (contacts/shopify_writeback.py sends it), retried while Shopify is unavailable, so
Shopify and we agree. The state Shopify now holds is recorded on the contact with its time, so the echo webhook
that follows changes nothing.

May call: install.py (the Admin client), the `shopify` edge.
"""

import logging
from datetime import datetime

from django.db.models import Q

from campaigns.models import Contact
from campaigns.services.shopify_sync.install import shopify_client
from shopify import admin
from shopify.errors import UserErrors

logger = logging.getLogger(__name__)


def shopify_consent_writeback(*, contact_id: int, subscribed: bool, at: datetime) -> str:
    """Write one contact's consent (`SUBSCRIBED`/`UNSUBSCRIBED` at `at`) to its Shopify customer: `written`, or
    `skipped` when the contact is gone, unlinked, no longer in that state, or its shop uninstalled, or `refused`
    when Shopify refused it (logged: e.g. the customer has no phone there). Edge TransientError/Throttled
    propagate for the task to retry; a repeat writes the same state again, which Shopify takes as a no-op."""
    contact = Contact.objects.select_related("shop__shopify_install").filter(pk=contact_id).first()
    install = getattr(contact.shop, "shopify_install", None) if contact else None
    messageable = contact is not None and contact.sms_consent and contact.opted_out_at is None
    if contact is None or contact.shopify_customer_id is None or messageable != subscribed or install is None \
            or not install.connected:
        return "skipped"
    state = "SUBSCRIBED" if subscribed else "UNSUBSCRIBED"
    try:
        admin.consent_update(shopify_client(install=install), customer_id=contact.shopify_customer_id, state=state,
                             consent_updated_at=at)
    except UserErrors as exc:
        logger.warning("Shopify refused the consent write-back of contact %s: %s", contact_id, exc)
        return "refused"
    Contact.objects.filter(pk=contact_id).filter(
        Q(shopify_consent_at__isnull=True) | Q(shopify_consent_at__lt=at)
    ).update(shopify_consent_state=state.lower(), shopify_consent_at=at)
    return "written"
