"""Plain records of what Shopify tells us, independent of the API that carried them (GraphQL or webhook).

Enum values are normalised to lowercase (`subscribed`, `single_opt_in`, `other`); ids are Shopify's numeric
ids (the number at the end of a `gid://shopify/...` id); times are aware datetimes; anything absent is None.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

CONSENT_STATES = ("not_subscribed", "pending", "subscribed", "unsubscribed", "redacted")
OPT_IN_LEVELS = ("single_opt_in", "confirmed_opt_in", "unknown")
COLLECTED_FROM = ("shopify", "other")


# Consent and Customer are not frozen: a frozen dataclass sets each field through object.__setattr__, and a first
# sync makes one of each per customer (1.6 µs against 0.6 µs a Customer, measured; a second a million). Nothing
# changes them once made.
@dataclass(slots=True)
class Consent:
    """A customer's SMS marketing consent. Only `state == "subscribed"` is consent to send."""

    state: str | None
    opt_in_level: str | None = None
    updated_at: datetime | None = None
    collected_from: str | None = None

    @property
    def subscribed(self) -> bool:
        return self.state == "subscribed"


@dataclass(slots=True)
class Customer:
    """A customer (GraphQL node, bulk line or customers/create|update webhook). `consent` None: not carried."""

    customer_id: int
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    updated_at: datetime | None = None
    tags: tuple[str, ...] = ()
    consent: Consent | None = None


@dataclass(frozen=True, slots=True)
class ConsentUpdate:
    """customers_marketing_consent/update."""

    customer_id: int
    phone: str | None = field(repr=False)
    consent: Consent | None


@dataclass(frozen=True, slots=True)
class CustomerDeleted:
    customer_id: int


@dataclass(frozen=True, slots=True)
class DiscountCode:
    code: str | None
    amount: Decimal | None
    type: str | None


@dataclass(frozen=True, slots=True)
class Order:
    """orders/create, orders/paid, orders/cancelled (`topic` says which)."""

    topic: str
    order_id: int
    name: str | None
    created_at: datetime | None
    total_price: Decimal | None
    currency: str | None
    customer_id: int | None
    customer_phone: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    billing_phone: str | None = field(repr=False)
    discount_codes: tuple[DiscountCode, ...]
    landing_site: str | None
    referring_site: str | None
    cancelled_at: datetime | None

    @property
    def phones(self) -> tuple[str, ...]:
        """Every phone the order names, most reliable first, without repeats."""
        seen = dict.fromkeys(p for p in (self.customer_phone, self.phone, self.billing_phone) if p)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class AppUninstalled:
    shop_id: int | None
    shop_domain: str | None


@dataclass(frozen=True, slots=True)
class DataRequest:
    """customers/data_request: the merchant must be given what we hold about this customer."""

    shop_id: int | None
    shop_domain: str | None
    customer_id: int | None
    email: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    orders_requested: tuple[int, ...]
    request_id: int | None


@dataclass(frozen=True, slots=True)
class CustomerRedact:
    """customers/redact: erase this customer's personal data."""

    shop_id: int | None
    shop_domain: str | None
    customer_id: int | None
    email: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    orders_to_redact: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ShopRedact:
    shop_id: int | None
    shop_domain: str | None


@dataclass(frozen=True, slots=True)
class Purchase:
    """A one-time app purchase (webhook app_purchases_one_time/update, or `node(id:)` / its creation)."""

    purchase_id: str
    status: str | None
    name: str | None = None
    shop_id: str | None = None
    confirmation_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """The cost bucket of the last answer: `extensions.cost`."""

    maximum_available: float
    currently_available: float
    restore_rate: float
    requested_cost: float | None = None
    actual_cost: float | None = None


@dataclass(frozen=True, slots=True)
class BulkOperation:
    operation_id: str
    status: str
    url: str | None = None
    object_count: int | None = None
    error_code: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")
