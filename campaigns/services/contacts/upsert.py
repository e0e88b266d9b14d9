"""Contacts: upsert one or up to 10,000 at a time on (shop, phone), with consent kept and its history recorded.

One cleaning function serves the single and the bulk endpoint, so a row is valid or not the same way in both. It
is plain Python rather than a serializer per row because a bulk call checks 10,000 rows. Writes are set-based:
one locked SELECT of the numbers that exist already, one `INSERT … ON CONFLICT (shop, phone) DO UPDATE` per set
of fields the rows give, one INSERT of the consent events. Works on PostgreSQL and SQLite.
"""

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.fields import tags_clean, text_clean
from campaigns.models import ConsentEvent, Contact, Shop
from campaigns.phones import phone_normalise
from campaigns.services.contacts.consent import (
    CONSENT_FIELDS,
    CONSUMER_ACT_SOURCES,
    NO_CONSENT,
    ConsentState,
    consent_apply,
    consent_event,
    consent_state,
)
from campaigns.services.contacts.suppression import suppressed_phones
from campaigns.services.errors import validation_error_text

MAX_BULK_ROWS = 10_000
CONSENT_SOURCE_API = "api"
CONSENT_SOURCE_ADMIN = "admin"
CONSENT_SOURCE_CSV = "csv"
_WRITE_BATCH = 1000
_ECHO_LENGTH = 32
ERASED_TEXT = ("This number was erased at its owner's request (Shopify customers/redact) and stays suppressed: "
               "it cannot be added again.")
_CONTACTS_LOCK_SPACE = 0x636F6E74  # "cont": the advisory-lock namespace of contact upserts
_OPTIONAL_FIELDS = {
    "first_name": functools.partial(text_clean, max_length=100),
    "last_name": functools.partial(text_clean, max_length=100),
    "tags": tags_clean,
}


@dataclass(frozen=True)
class ContactInput:
    """One cleaned row: the E.164 phone, the consent stated (and, from a source in CONSUMER_ACT_SOURCES, when
    the consumer gave it: `consent_updated_at`), and whichever optional fields were given."""

    phone: str | None
    sms_consent: bool | None
    fields: dict[str, object]
    consent_event_at: datetime | None = None


@dataclass(frozen=True)
class BulkUpsertResult:
    """`created` + `updated` + `duplicates` + len(`rejected`) is the number of rows given: `duplicates` are
    valid rows whose phone a later valid row repeats (only the last is written). `phones` are the E.164 phones
    written, `phones_without_consent` those of them whose row says no to texts."""

    created: int
    updated: int
    rejected: list[dict] = field(default_factory=list)
    kept_opted_out: int = 0
    duplicates: int = 0
    phones: frozenset[str] = frozenset()
    phones_without_consent: frozenset[str] = frozenset()


class ContactWrite(NamedTuple):
    """One contact written: `kept_opted_out` when it asked for consent and a reply STOP kept it opted out."""

    contact: Contact
    created: bool
    kept_opted_out: bool


def contact_input_clean(
    data: object, *, region: str, partial: bool = False, consent_time: bool = False
) -> ContactInput:
    """Check and normalise one contact object; raise ValidationError({field: [message]}) naming every bad field.

    `phone` and `sms_consent` are required unless `partial`; optional fields not given stay out of `fields`.
    With `consent_time` (a source whose records carry the consumer's consent time), an optional
    `consent_updated_at` (a datetime or ISO 8601 text with its offset) is read too; otherwise it is ignored.
    """
    if not isinstance(data, Mapping):
        raise ValidationError({NON_FIELD_ERRORS: ["Expected a JSON object."]})
    cleaners = {"phone": functools.partial(phone_normalise, region=region), "sms_consent": _consent_clean}
    values, errors = {}, {}
    for name, clean in {**cleaners, **_OPTIONAL_FIELDS}.items():
        if name not in data:
            if name in cleaners and not partial:
                errors[name] = ["This field is required."]
            continue
        try:
            values[name] = clean(data[name])
        except ValueError as exc:
            errors[name] = [str(exc)]
    event_at = None
    if consent_time and data.get("consent_updated_at") is not None:
        try:
            event_at = _event_time_clean(data["consent_updated_at"])
        except ValueError as exc:
            errors["consent_updated_at"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return ContactInput(values.pop("phone", None), values.pop("sms_consent", None), values, event_at)


def _consent_clean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


def _event_time_clean(value: object) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime) or timezone.is_naive(moment):
        raise ValueError("Must be a date and time with its UTC offset.")
    return moment


def contact_upsert(
    *, shop: Shop, data: object, source: str = CONSENT_SOURCE_API, detail: str = ""
) -> ContactWrite:
    """Create the contact, or update the shop's contact with the same (normalised) phone. Fields not given keep
    their values; consent follows the precedence rules (contacts/consent.py), a change recorded as a
    ConsentEvent of `source` (who: `detail`). Returns the contact, whether it was created, and whether a
    reply STOP kept it opted out against the consent asked for."""
    row = contact_input_clean(data, region=shop.default_region, consent_time=source in CONSUMER_ACT_SOURCES)
    _refuse_erased(shop=shop, phone=row.phone)
    with transaction.atomic():
        written = _contacts_write(shop=shop, rows={row.phone: row}, source=source, detail=detail)
    contact = Contact.objects.get(shop=shop, phone=row.phone)
    return ContactWrite(contact, written.created == 1, written.kept_opted_out == 1)


def contacts_bulk_upsert(
    *, shop: Shop, rows: object, source: str = CONSENT_SOURCE_API, detail: str = ""
) -> BulkUpsertResult:
    """Upsert up to MAX_BULK_ROWS contacts in one transaction. Valid rows are written even when others are
    rejected (each reported with its index). A phone given twice is written once, from its last valid row.
    Consent follows the precedence rules (rows a reply STOP kept opted out are counted in `kept_opted_out`);
    changes are recorded as ConsentEvents of `source` (who: `detail`)."""
    if not isinstance(rows, list):
        raise ValidationError({"contacts": ["Must be a list of contact objects."]})
    if len(rows) > MAX_BULK_ROWS:
        raise ValidationError({"contacts": [f"At most {MAX_BULK_ROWS} contacts per request, got {len(rows)}."]})
    cleaned, rejected, indexes = {}, [], defaultdict(list)
    consent_time = source in CONSUMER_ACT_SOURCES
    for index, data in enumerate(rows):
        try:
            row = contact_input_clean(data, region=shop.default_region, consent_time=consent_time)
        except ValidationError as exc:
            rejected.append({"index": index, "phone": _echo_phone(data), "error": validation_error_text(exc)})
            continue
        cleaned[row.phone] = row
        indexes[row.phone].append(index)
    erased = suppressed_phones(shop=shop, phones=list(cleaned))  # one query for the whole call
    if erased:
        error = validation_error_text(ValidationError({"phone": [ERASED_TEXT]}))
        rejected = sorted(rejected + [{"index": index, "phone": _echo_phone(rows[index]), "error": error}
                                      for phone in erased for index in indexes[phone]], key=lambda r: r["index"])
        cleaned = {phone: row for phone, row in cleaned.items() if phone not in erased}
    with transaction.atomic():
        written = _contacts_write(shop=shop, rows=cleaned, source=source, detail=detail)
    return BulkUpsertResult(
        created=written.created, updated=len(cleaned) - written.created, rejected=rejected,
        kept_opted_out=written.kept_opted_out,
        duplicates=sum(len(indexes[phone]) - 1 for phone in cleaned),
        phones=frozenset(cleaned),
        phones_without_consent=frozenset(phone for phone, row in cleaned.items() if row.sms_consent is False),
    )


def contact_update(
    *, contact: Contact, data: object, source: str = CONSENT_SOURCE_API, detail: str = ""
) -> ContactWrite:
    """Change the given fields of one contact (PATCH). A new phone must not belong to another contact of the
    shop; consent follows the precedence rules, a change recorded as a ConsentEvent of `source` (who:
    `detail`)."""
    row = contact_input_clean(
        data, region=contact.shop.default_region, partial=True, consent_time=source in CONSUMER_ACT_SOURCES
    )
    if row.phone is not None and row.phone != contact.phone:
        _refuse_erased(shop=contact.shop, phone=row.phone)
    with transaction.atomic():
        if row.phone is not None and row.phone != contact.phone:  # a phone new to the shop, as upserts add
            _serialise_contact_writes(shop=contact.shop)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        changes, decision = dict(row.fields), None
        if row.phone is not None:
            changes["phone"] = row.phone
        if row.sms_consent is not None:
            decision = consent_apply(consent_state(contact), wanted=row.sms_consent, source=source,
                                     now=timezone.now(), event_at=row.consent_event_at)
            changes.update(decision.state._asdict())
        for name, value in changes.items():
            setattr(contact, name, value)
        _save_keeping_phone_unique(contact, fields=[*changes, "updated_at"])
        if decision and decision.action:
            consent_event(contact, decision.action, source=source, detail=detail).save()
    return ContactWrite(contact, False, bool(decision and decision.kept_opted_out))


def _refuse_erased(*, shop: Shop, phone: str) -> None:
    """A number erased from this shop at its customer's request (Shopify `customers/redact`) is never a contact
    again, whatever the write says: ValidationError naming it."""
    if suppressed_phones(shop=shop, phones=[phone]):
        raise ValidationError({"phone": [ERASED_TEXT]})


def _save_keeping_phone_unique(contact: Contact, *, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            contact.save(update_fields=fields)
    except IntegrityError as exc:
        raise ValidationError({"phone": ["Another contact of this shop has this phone number."]}) from exc


class _Written(NamedTuple):
    created: int
    kept_opted_out: int


def _contacts_write(*, shop: Shop, rows: dict[str, ContactInput], source: str, detail: str) -> _Written:
    """Upsert `rows` (keyed by phone) and write their consent events; returns how many were new and how many
    a reply STOP kept opted out. Must run inside a transaction: the existing rows are locked until it ends."""
    _serialise_contact_writes(shop=shop)
    now = timezone.now()
    existing = _existing_consent(shop=shop, phones=list(rows))
    by_given_fields, events, kept = defaultdict(list), [], 0
    for phone, row in sorted(rows.items()):
        decision = consent_apply(existing.get(phone, NO_CONSENT), wanted=row.sms_consent, source=source, now=now,
                                 event_at=row.consent_event_at)
        contact = Contact(shop=shop, phone=phone, **decision.state._asdict(), **row.fields)
        by_given_fields[tuple(sorted(row.fields))].append(contact)
        kept += decision.kept_opted_out
        if decision.action:
            events.append((contact, decision.action))
    for given, contacts in by_given_fields.items():
        Contact.objects.bulk_create(
            contacts,
            batch_size=_WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["shop", "phone"],
            update_fields=[*CONSENT_FIELDS, "updated_at", *given],
        )
    ConsentEvent.objects.bulk_create(
        [consent_event(contact, action, source=source, detail=detail) for contact, action in events],
        batch_size=_WRITE_BATCH,
    )
    return _Written(len(rows) - len(existing), kept)


def _serialise_contact_writes(*, shop: Shop) -> None:
    """Upserts of one shop's contacts run one at a time (a PostgreSQL advisory lock held until commit), so a
    call never decides created/updated or consent events from a snapshot another call is about to change.
    Every writer that gives a contact a phone takes it (contact_update when the phone changes), so the Shopify
    sync may insert phones it found nowhere in the shop without a conflict check. SQLite serialises writers by
    itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CONTACTS_LOCK_SPACE, shop.pk % 2**31])


def _existing_consent(*, shop: Shop, phones: list[str]) -> dict[str, ConsentState]:
    """Consent of the shop's contacts among `phones`, locked against concurrent changes. Rows are locked, and
    then written, in phone order, so overlapping bulk calls queue behind each other rather than deadlock."""
    phones, found = sorted(phones), {}
    for start in range(0, len(phones), _WRITE_BATCH):
        chunk = phones[start : start + _WRITE_BATCH]
        query = Contact.objects.select_for_update().filter(shop=shop, phone__in=chunk).order_by("phone")
        for phone, *state in query.values_list("phone", *CONSENT_FIELDS):
            found[phone] = ConsentState(*state)
    return found


def _echo_phone(data: object) -> str:
    phone = data.get("phone") if isinstance(data, Mapping) else None
    if not isinstance(phone, str):
        return ""
    return phone[:_ECHO_LENGTH].encode("utf-8", "replace").decode()
