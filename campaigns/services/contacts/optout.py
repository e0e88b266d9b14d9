"""Consent changed by a customer's reply (reports/inbound.py decides which shops): STOP-family keywords
withdraw consent and mark it a reply STOP (which only the consumer's own new act outranks: contacts/consent.py),
START/UNSTOP give it again; each with a ConsentEvent per contact. Set-based: one UPDATE and one INSERT."""

from datetime import datetime

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from campaigns.models import ConsentEvent, Contact
from campaigns.services.contacts.consent import REPLY_SOURCE


def _consent_events(*, contacts: list[tuple[int, int]], phone: str, action: str, text: str) -> None:
    ConsentEvent.objects.bulk_create(
        ConsentEvent(shop_id=shop_id, contact_id=contact_id, phone=phone, action=action, source=REPLY_SOURCE,
                     detail=text[:500])
        for contact_id, shop_id in contacts
    )


def contacts_opt_out(*, phone: str, shop_ids: list[int], text: str, now: datetime, sender: str = "") -> int:
    """Withdraw consent of `phone` in these shops by its reply to `sender` (the first opt-out time is kept; the
    reply STOP's time and sender are the latest); returns the contacts."""
    contacts = Contact.objects.filter(shop_id__in=shop_ids, phone=phone)
    rows = list(contacts.order_by("id").select_for_update().values_list("id", "shop_id"))
    contacts.update(
        sms_consent=False, opted_out_at=Coalesce(F("opted_out_at"), now), consent_source=REPLY_SOURCE,
        reply_opted_out_at=now, reply_opted_out_sender=sender[:20], updated_at=now,
    )
    _consent_events(contacts=rows, phone=phone, action=ConsentEvent.Action.WITHDRAWN, text=text)
    return len(rows)


def contacts_opt_in(
    *, phone: str, shop_ids: list[int], text: str, now: datetime, stopped_via: str | None = None
) -> int:
    """Give consent of `phone` again in these shops where it has none (with `stopped_via`, only where its reply
    STOP was sent to that sender); returns the contacts changed (a repeated START changes none)."""
    contacts = Contact.objects.filter(shop_id__in=shop_ids, phone=phone).filter(
        Q(sms_consent=False) | Q(opted_out_at__isnull=False)
    )
    if stopped_via is not None:
        contacts = contacts.filter(reply_opted_out_at__isnull=False, reply_opted_out_sender=stopped_via[:20])
    rows = list(contacts.order_by("id").select_for_update().values_list("id", "shop_id"))
    contacts.update(sms_consent=True, opted_out_at=None, consent_at=now, consent_source=REPLY_SOURCE,
                    reply_opted_out_at=None, reply_opted_out_sender="", updated_at=now)
    _consent_events(contacts=rows, phone=phone, action=ConsentEvent.Action.GRANTED, text=text)
    return len(rows)
