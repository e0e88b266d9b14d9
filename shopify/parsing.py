"""Defensive readers of Shopify values: ids, enums in either case, times, money, and customer objects in both
the GraphQL (camelCase) and the webhook (snake_case) shape. Bad values become None; a missing id raises."""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shopify.errors import WebhookParseError
from shopify.records import COLLECTED_FROM, CONSENT_STATES, OPT_IN_LEVELS, Consent, Customer

GID = re.compile(r"gid://shopify/[A-Za-z]+/(\d+)(?:\?.*)?")


def numeric_id(value: Any) -> int | None:
    """Shopify's numeric id from a number, a digit string or a `gid://shopify/Type/123`; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text) or None
        match = GID.fullmatch(text)
        return (int(match.group(1)) or None) if match else None
    return None


def required_id(payload: Any, key: str = "id") -> int:
    value = numeric_id(payload.get(key)) if isinstance(payload, dict) else None
    if value is None:
        raise WebhookParseError(f"the payload has no valid {key!r}")
    return value


def text(value: Any) -> str | None:
    if type(value) is str:  # the usual case first: this runs for every field of a million customers
        value = value.strip()
        return value or None
    if value is None or isinstance(value, dict | list | bool):
        return None
    return str(value).strip() or None


def enum(value: Any, allowed: tuple[str, ...]) -> str | None:
    """The lowercase enum value when it is one of `allowed` (any case in), else None."""
    found = _ENUM_SPELLINGS.get(value) if type(value) is str else None
    if found is not None:
        return found if found in allowed else None
    if not isinstance(value, str):
        return None
    lowered = value.strip().lower()
    return lowered if lowered in allowed else None


def when(value: Any) -> datetime | None:
    """An ISO 8601 time with an offset (`Z` or `-05:00`) as an aware datetime; None when absent or naive."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("z", "+00:00").replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else None


def money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def consent(payload: Any, *, graphql: bool) -> Consent | None:
    """A consent object of any documented shape; None when absent or carrying nothing.

    GraphQL: `{marketingState, marketingOptInLevel, consentUpdatedAt, consentCollectedFrom}` (deprecated) or,
    from 2026-10, `{state, optInLevel, updatedAt, collectedFrom}`. Webhooks: `{state, opt_in_level,
    consent_updated_at, consent_collected_from}`.
    """
    if not isinstance(payload, dict):
        return None
    get = payload.get
    if graphql:
        state = _either(get("state"), get, "marketingState")
        level = _either(get("optInLevel"), get, "marketingOptInLevel")
        updated = _either(get("updatedAt"), get, "consentUpdatedAt")
        source = _either(get("collectedFrom"), get, "consentCollectedFrom")
    else:
        state = _either(get("state"), get, "marketing_state")
        level = _either(get("opt_in_level"), get, "marketing_opt_in_level")
        updated = _either(get("consent_updated_at"), get, "updated_at")
        source = _either(get("consent_collected_from"), get, "collected_from")
    state, level, updated, source = (enum(state, CONSENT_STATES), enum(level, OPT_IN_LEVELS), when(updated),
                                     enum(source, COLLECTED_FROM))
    if state is None and level is None and updated is None and source is None:
        return None
    return Consent(state, level, updated, source)


def graphql_customer(node: Any) -> Customer:
    """A Customer from a GraphQL customer node or bulk JSON line; consent from `defaultPhoneNumber` first
    (2026-10), else the deprecated `smsMarketingConsent`."""
    if not isinstance(node, dict):
        raise WebhookParseError("a customer is not an object")
    phone_number = obj(node.get("defaultPhoneNumber"))
    found = consent(phone_number.get("smsMarketingConsent"), graphql=True) or consent(
        node.get("smsMarketingConsent"), graphql=True)
    return Customer(
        customer_id=required_id(node), first_name=text(node.get("firstName")), last_name=text(node.get("lastName")),
        phone=text(phone_number.get("phoneNumber")) or text(node.get("phone")), updated_at=when(node.get("updatedAt")),
        tags=tags(node.get("tags")), consent=found,
    )


def webhook_customer(payload: Any) -> Customer:
    """A Customer from a customers/create|update payload (consent only when an older payload carries it)."""
    if not isinstance(payload, dict):
        raise WebhookParseError("the customer payload is not an object")
    return Customer(
        customer_id=required_id(payload), first_name=text(payload.get("first_name")),
        last_name=text(payload.get("last_name")), phone=text(payload.get("phone")),
        updated_at=when(payload.get("updated_at")), tags=tags(payload.get("tags")),
        consent=consent(payload.get("sms_marketing_consent"), graphql=False),
    )


def tags(value: Any) -> tuple[str, ...]:
    """Tags as a list (GraphQL) or a comma-separated string (webhooks)."""
    if not value:  # most customers have none
        return ()
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(tag for tag in (text(item) for item in items) if tag)


def _either(value: Any, get: Any, other: str) -> Any:
    return value if value is not None else get(other)


_ENUM_SPELLINGS = {spelling: value for value in CONSENT_STATES + OPT_IN_LEVELS + COLLECTED_FROM
                   for spelling in (value, value.upper())}
