"""Mitto delivery reports (MITTO.md, "Delivery reports") parsed into plain records. No database here.

Defensive by design: every documented field variant is accepted, one bad item is set aside as `invalid`
and never spoils the rest, and a status nobody documented is logged (a bounded summary of its item) and left not final.
Only a payload that is unusable as a whole raises `MalformedPayload`.

Limits that keep what comes out storable: a message id longer than MAX_ID_LENGTH is invalid (Mitto's ids
are 26 characters, so it is none of ours); a longer reference is dropped (ours are short); an error text
is cut to MAX_ERROR_LENGTH.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from config.observability.logs import payload_summary

logger = logging.getLogger("messaging.reports")

Outcome = Literal["delivered", "failed"]

MAX_REPORTS = 10_000
MAX_ID_LENGTH = 64
MAX_ERROR_LENGTH = 255
MAX_UNKNOWN_LOGGED = 20

ID_KEYS = ("messageId", "id", "MessageId")
STATUS_KEYS = ("deliveryStatus", "status", "Status")
TIME_KEYS = ("updatedAt", "timestamp", "doneAt")
ERROR_KEYS = ("description", "error", "errorCode")

_FINAL: dict[str, Outcome] = {
    "delivered": "delivered",
    "failed": "failed",
    "failure": "failed",
    "undelivered": "failed",
    "rejected": "failed",
    "expired": "failed",
}
_NOT_FINAL = frozenset({"sent", "queued", "pending", "accepted", "enroute", "buffered"})


class MalformedPayload(ValueError):
    """A webhook payload that cannot be used at all; `reason` says why in words fit for the answer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DeliveryReport(NamedTuple):
    """One report. `outcome` is None while the message is not final (or its status is unknown)."""

    message_id: str
    outcome: Outcome | None
    raw_status: str
    reference: str | None
    error: str | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class InvalidItem:
    index: int
    reason: str


@dataclass(slots=True)
class ParseResult:
    reports: list[DeliveryReport] = field(default_factory=list)
    invalid: list[InvalidItem] = field(default_factory=list)
    unknown_statuses: int = 0


def parse_delivery_reports(payload: Any) -> ParseResult:
    """Parse a decoded JSON payload: one report object or an array of 1..MAX_REPORTS of them.

    Raises MalformedPayload when the payload is neither, is empty or is too long; otherwise never raises.
    """
    result = ParseResult()
    for index, item in enumerate(_items(payload)):
        if type(item) is not dict:
            result.invalid.append(InvalidItem(index, "not an object"))
            continue
        message_id, problem = _message_id(item)
        if message_id is None:
            result.invalid.append(InvalidItem(index, problem))
            continue
        result.reports.append(_report(message_id, item, result))
    return result


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 (Z or offset; more than 6 fractional digits are cut), else None.

    A time without an offset is taken as UTC, the zone Mitto reports in.
    """
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _items(payload: Any) -> list:
    if type(payload) is dict:
        return [payload]
    if type(payload) is not list:
        raise MalformedPayload("expected a delivery report object or an array of them")
    if not payload:
        raise MalformedPayload("the array of delivery reports is empty")
    if len(payload) > MAX_REPORTS:
        raise MalformedPayload(f"more than {MAX_REPORTS} delivery reports in one payload")
    return payload


def first_present(item: dict, keys: tuple[str, ...]) -> Any:
    """The value of the first of `keys` that `item` has, neither null nor empty; None when there is none."""
    for key in keys:
        value = item.get(key)
        if value is not None and value != "":
            return value
    return None


def _text(value: Any) -> str | None:
    """Strings as they are, numbers (never booleans) as their text; anything else is no value."""
    if type(value) is str:
        return value
    if type(value) is int or type(value) is float:
        return str(value)
    return None


def _report(message_id: str, item: dict, result: ParseResult) -> DeliveryReport:
    raw_status = _text(first_present(item, STATUS_KEYS)) or ""
    status = raw_status.strip().lower()
    outcome = _FINAL.get(status)
    if outcome is None and status not in _NOT_FINAL:
        _log_unknown(result.unknown_statuses, raw_status, item)
        result.unknown_statuses += 1
    return DeliveryReport(
        message_id=message_id,
        outcome=outcome,
        raw_status=raw_status,
        reference=_reference(item.get("reference")),
        error=_error(item),
        updated_at=parse_timestamp(first_present(item, TIME_KEYS)),
    )


def _message_id(item: dict) -> tuple[str | None, str]:
    """The report's message id, or None and why it is unusable."""
    value = first_present(item, ID_KEYS)
    if value is None:
        return None, "no message id"
    message_id = (_text(value) or "").strip()
    if not message_id:
        return None, "message id is blank or not a string"
    if len(message_id) > MAX_ID_LENGTH:
        return None, f"message id longer than {MAX_ID_LENGTH} characters"
    return message_id, ""


def _reference(value: Any) -> str | None:
    reference = _text(value)
    return reference if reference and len(reference) <= MAX_ID_LENGTH else None


def _error(item: dict) -> str | None:
    error = _text(first_present(item, ERROR_KEYS))
    return error[:MAX_ERROR_LENGTH] if error else None


def _log_unknown(seen: int, raw_status: str, item: dict) -> None:
    """Log each unknown status with its raw item, up to MAX_UNKNOWN_LOGGED per payload."""
    if seen < MAX_UNKNOWN_LOGGED:
        logger.warning("Unknown delivery status %r, treated as not final; report: %s", raw_status[:64],
                       payload_summary(item))
    elif seen == MAX_UNKNOWN_LOGGED:
        logger.warning("Further unknown delivery statuses in this payload are counted but not logged")
