"""Consent bookkeeping: what a contact's consent fields become when someone states consent, and the event it makes."""

from datetime import datetime
from typing import NamedTuple

from campaigns.models import ConsentEvent, Contact


class ConsentState(NamedTuple):
    sms_consent: bool
    consent_at: datetime | None
    consent_source: str
    opted_out_at: datetime | None


NO_CONSENT = ConsentState(False, None, "", None)
CONSENT_FIELDS = list(ConsentState._fields)


def consent_state(contact: Contact) -> ConsentState:
    return ConsentState(*(getattr(contact, field) for field in CONSENT_FIELDS))


def consent_apply(
    current: ConsentState, *, wanted: bool, source: str, now: datetime
) -> tuple[ConsentState, str | None]:
    """The state after `wanted` is stated, and `granted`/`withdrawn` when it changes whether the contact may be
    messaged (None when it does not). Granting clears an opt-out; withdrawing stamps `opted_out_at`."""
    messageable = current.sms_consent and current.opted_out_at is None
    if wanted and not messageable:
        return ConsentState(True, now, source, None), ConsentEvent.Action.GRANTED
    if not wanted and messageable:
        return current._replace(sms_consent=False, opted_out_at=now), ConsentEvent.Action.WITHDRAWN
    if wanted:
        return current, None
    return current._replace(sms_consent=False), None


def consent_event(contact: Contact, action: str, *, source: str, detail: str = "") -> ConsentEvent:
    """The (unsaved) history row of `contact`'s consent being granted or withdrawn (`detail`: who, or the
    wording, when known)."""
    return ConsentEvent(
        shop_id=contact.shop_id, contact_id=contact.pk, phone=contact.phone, action=action, source=source,
        detail=detail[:500],
    )
