"""The consent record of one phone in a shop (its history), as the API and the admin hand it out (JSON or CSV)."""

import csv
import io
from datetime import UTC, datetime

from campaigns.models import Contact, Shop
from campaigns.services.errors import DomainError

CSV_COLUMNS = ("phone", "action", "source", "detail", "occurred_at")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as the API writes every time."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def contact_consent_history(*, shop: Shop, contact_id: int) -> tuple[Contact, list[dict]]:
    """The contact and every consent event of its phone in the shop, oldest first (events outlive a
    deleted and re-created contact, so they are matched by phone)."""
    contact = Contact.objects.filter(id=contact_id, shop_id=shop.id).first()
    if contact is None:
        raise DomainError("not_found", "No such contact.")
    events = shop.consent_events.filter(phone=contact.phone).order_by("occurred_at", "id")
    return contact, list(events.values("action", "source", "detail", "occurred_at"))


def contact_consent_export(*, shop: Shop, contact_id: int) -> dict:
    """The contact's phone, its consent now, and every consent event of that phone in the shop, oldest first
    (from `contact_consent_history`): proof of when consent was given and when an opt-out was honoured.
    DomainError `not_found` for another shop's or a missing contact. Changes nothing."""
    contact, events = contact_consent_history(shop=shop, contact_id=contact_id)
    return {
        "contactId": contact.id, "phone": contact.phone, "smsConsent": contact.sms_consent,
        "optedOutAt": _iso(contact.opted_out_at),
        "events": [
            {"action": e["action"], "source": e["source"], "detail": e["detail"], "occurredAt": _iso(e["occurred_at"])}
            for e in events
        ],
    }


def spreadsheet_cell(text: str) -> str:
    """A reply's text as a spreadsheet shows it, never run as a formula (a leading `'` is added)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def consent_export_csv(export: dict) -> str:
    """`contact_consent_export`'s events as CSV, one line per event with the phone, oldest first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        [export["phone"], e["action"], e["source"], spreadsheet_cell(e["detail"]), e["occurredAt"]]
        for e in export["events"]
    )
    return out.getvalue()
