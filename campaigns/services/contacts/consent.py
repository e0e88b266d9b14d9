"""Consent precedence: what a contact's consent fields become when someone states consent, and the event it makes.

Who may give consent back (API.md "Consent: who may change it"): once a contact opted out by replying (a STOP,
`reply_opted_out_at` set), a write that merely says `sms_consent: true` (API single or bulk, CSV import, admin
edit, a Shopify sync without a newer consent time) leaves the contact opted out. Only the consumer's own new act
outranks the STOP: a START/UNSTOP reply (source `sms_reply`), or a consent record of a source that carries the
consumer's own consent time (`shopify`'s `consent_updated_at`) later than the STOP. Withdrawing is always allowed.
"""

from datetime import datetime
from typing import NamedTuple

from campaigns.models import ConsentEvent, Contact

REPLY_SOURCE = "sms_reply"
SHOPIFY_SOURCE = "shopify"
# Sources whose event time is the time the consumer gave consent (not when we were told): a grant of theirs
# dated after a reply STOP gives consent back.
CONSUMER_ACT_SOURCES = frozenset({SHOPIFY_SOURCE})


class ConsentState(NamedTuple):
    sms_consent: bool
    consent_at: datetime | None
    consent_source: str
    opted_out_at: datetime | None
    reply_opted_out_at: datetime | None


class ConsentDecision(NamedTuple):
    """The state after a statement, `granted`/`withdrawn` when it changed whether the contact may be messaged
    (None when not), and `kept_opted_out` when it asked for consent and a reply STOP refused it."""

    state: ConsentState
    action: str | None
    kept_opted_out: bool = False


NO_CONSENT = ConsentState(False, None, "", None, None)
CONSENT_FIELDS = list(ConsentState._fields)


def consent_state(contact: Contact) -> ConsentState:
    return ConsentState(*(getattr(contact, field) for field in CONSENT_FIELDS))


def stop_outranked(current: ConsentState, *, source: str, event_at: datetime | None) -> bool:
    """Whether a grant from `source` (dated `event_at`, the consumer's consent time where the source has one)
    may give consent back over the contact's reply STOP; True when there is none."""
    stopped_at = current.reply_opted_out_at
    if stopped_at is None or source == REPLY_SOURCE:
        return True
    return source in CONSUMER_ACT_SOURCES and event_at is not None and event_at > stopped_at


def consent_apply(
    current: ConsentState, *, wanted: bool, source: str, now: datetime, event_at: datetime | None = None
) -> ConsentDecision:
    """Apply the precedence rules above to `wanted` stated by `source` at `now` (the consumer's own consent
    time `event_at`, when the source has one). Granting clears an opt-out (and the reply STOP it outranks);
    withdrawing stamps `opted_out_at`; a grant a reply STOP outranks changes nothing (`kept_opted_out`)."""
    messageable = current.sms_consent and current.opted_out_at is None
    if wanted and not stop_outranked(current, source=source, event_at=event_at):
        return ConsentDecision(current, None, kept_opted_out=True)
    if wanted and not messageable:
        return ConsentDecision(ConsentState(True, now, source, None, None), ConsentEvent.Action.GRANTED)
    if not wanted and messageable:
        return ConsentDecision(current._replace(sms_consent=False, opted_out_at=now), ConsentEvent.Action.WITHDRAWN)
    if wanted:
        return ConsentDecision(current, None)
    return ConsentDecision(current._replace(sms_consent=False), None)


def consent_event(contact: Contact, action: str, *, source: str, detail: str = "") -> ConsentEvent:
    """The (unsaved) history row of `contact`'s consent being granted or withdrawn (`detail`: who, or the
    wording, when known)."""
    return ConsentEvent(
        shop_id=contact.shop_id, contact_id=contact.pk, phone=contact.phone, action=action, source=source,
        detail=detail[:500],
    )
