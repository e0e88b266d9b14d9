"""Consent changed by a customer's reply (reports/inbound.py decides which shops): STOP-family keywords
withdraw consent, START/UNSTOP give it again, each with a ConsentEvent per contact."""

from datetime import datetime

from django.db.models import F
from django.db.models.functions import Coalesce

from campaigns.models import ConsentEvent, Contact

REPLY_SOURCE = "sms_reply"


def _consent_events(*, contacts: list[tuple[int, int]], phone: str, action: str, text: str) -> None:
    ConsentEvent.objects.bulk_create(
        ConsentEvent(shop_id=shop_id, contact_id=contact_id, phone=phone, action=action, source=REPLY_SOURCE,
                     detail=text[:500])
        for contact_id, shop_id in contacts
    )


def contacts_opt_out(*, phone: str, shop_ids: list[int], text: str, now: datetime) -> int:
    """Withdraw consent of `phone` in these shops (the first opt-out time is kept); returns contacts."""
    contacts = Contact.objects.filter(shop_id__in=shop_ids, phone=phone)
    rows = list(contacts.values_list("id", "shop_id"))
    contacts.update(
        sms_consent=False, opted_out_at=Coalesce(F("opted_out_at"), now), consent_source=REPLY_SOURCE, updated_at=now
    )
    _consent_events(contacts=rows, phone=phone, action=ConsentEvent.Action.WITHDRAWN, text=text)
    return len(rows)


def contacts_opt_in(*, phone: str, shop_ids: list[int], text: str, now: datetime) -> int:
    """Give consent of `phone` again in these shops; returns the contacts changed."""
    contacts = Contact.objects.filter(shop_id__in=shop_ids, phone=phone)
    rows = list(contacts.values_list("id", "shop_id"))
    contacts.update(sms_consent=True, opted_out_at=None, consent_at=now, consent_source=REPLY_SOURCE, updated_at=now)
    _consent_events(contacts=rows, phone=phone, action=ConsentEvent.Action.GRANTED, text=text)
    return len(rows)
