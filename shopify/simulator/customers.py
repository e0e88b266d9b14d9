"""The simulator's customers: a shop's generated customers (computed from their index, so a million cost no
memory) plus the ones created or changed since, in id order, and their GraphQL / webhook / JSON Lines shapes.

Generated customer `i` (0-based) of a shop: id `base_id + i`; every `no_phone_every`-th has no phone (and no
consent); the rest have a valid New York number `+1212…` unique per index and a consent state by `i % 20`:
0-13 SUBSCRIBED, 14-15 NOT_SUBSCRIBED, 16 PENDING, 17 and 19 UNSUBSCRIBED, 18 REDACTED. `updatedAt` grows with
`i`: a thousand customers a second from 2026-01-01T00:00:00Z.

A table keeps its rendered bulk export (see `CustomerTable.jsonl`): Shopify writes the export file once and then
serves static bytes, and a benchmark reading the export while it measures a sync should not pay for the
platform's rendering (~2 s of CPU a million customers, on the same cores as the code being measured).
"""

import bisect
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

BASE_TIME = 1767225600  # 2026-01-01T00:00:00Z
FIRST_NAMES = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis",
               "Radia", "John", "Sophie", "Tim", "Hedy", "Linus")
LAST_NAMES = ("Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton",
              "Ritchie", "Perlman", "McCarthy", "Wilson", "Berners", "Lamarr", "Torvalds", "Clarke")
STATES = ("SUBSCRIBED",) * 14 + ("NOT_SUBSCRIBED",) * 2 + ("PENDING", "UNSUBSCRIBED", "REDACTED", "UNSUBSCRIBED")
LEVELS = ("SINGLE_OPT_IN", "CONFIRMED_OPT_IN")
SOURCES = ("SHOPIFY", "OTHER")
PER_SECOND = 1000  # generated customers sharing one updatedAt second
SHOP_TZ = timezone(timedelta(hours=-5))  # webhook times are written in the shop's time zone, as Shopify does


@dataclass(slots=True)
class SimCustomer:
    customer_id: int
    first_name: str | None
    last_name: str | None
    phone: str | None
    updated_at: float
    state: str | None = None  # GraphQL enum (upper case); None when the customer has no phone
    opt_in_level: str | None = None
    consent_updated_at: float | None = None
    collected_from: str | None = None
    email: str | None = None
    tags: tuple[str, ...] = ()

    def node(self) -> dict:
        """The GraphQL customer node, with the deprecated and the 2026-10 consent fields."""
        consent = deprecated = None
        if self.state is not None:
            at = iso_z(self.consent_updated_at)
            consent = {"state": self.state, "optInLevel": self.opt_in_level, "updatedAt": at,
                       "collectedFrom": self.collected_from}
            deprecated = {"marketingState": self.state, "marketingOptInLevel": self.opt_in_level,
                          "consentUpdatedAt": at, "consentCollectedFrom": self.collected_from}
        return {
            "id": f"gid://shopify/Customer/{self.customer_id}", "firstName": self.first_name,
            "lastName": self.last_name, "phone": self.phone, "updatedAt": iso_z(self.updated_at),
            "tags": list(self.tags), "smsMarketingConsent": deprecated,
            "defaultPhoneNumber": None if self.phone is None else {"phoneNumber": self.phone,
                                                                   "smsMarketingConsent": consent},
        }

    def webhook(self) -> dict:
        """The customers/create|update payload (since 2025-01 without consent and tags)."""
        return {
            "id": self.customer_id, "email": self.email, "first_name": self.first_name, "last_name": self.last_name,
            "phone": self.phone, "created_at": iso_shop(BASE_TIME), "updated_at": iso_shop(self.updated_at),
            "state": "enabled", "verified_email": True, "currency": "USD",
            "admin_graphql_api_id": f"gid://shopify/Customer/{self.customer_id}",
        }

    def consent_webhook(self) -> dict:
        """The customers_marketing_consent/update payload: lower-case values, `consent_collected_from` in the
        case Shopify happens to use (both are seen; here it alternates with the id)."""
        if self.state is None:
            consent = None
        else:
            source = self.collected_from or "OTHER"
            consent = {"state": self.state.lower(), "opt_in_level": (self.opt_in_level or "").lower() or None,
                       "consent_updated_at": iso_shop(self.consent_updated_at),
                       "consent_collected_from": source if self.customer_id % 2 else source.lower()}
        return {"id": self.customer_id, "phone": self.phone, "sms_marketing_consent": consent}


def generated(base_id: int, index: int, no_phone_every: int) -> SimCustomer:
    first, last, phone = _name_phone(index, no_phone_every)
    at = BASE_TIME + index // PER_SECOND
    customer = SimCustomer(customer_id=base_id + index, first_name=first, last_name=last, phone=phone, updated_at=at)
    if phone is not None:
        customer.state, customer.opt_in_level = STATES[index % 20], LEVELS[index % 2]
        customer.consent_updated_at, customer.collected_from = at - 86400, SOURCES[index % 3 == 0]
    return customer


def _name_phone(index: int, no_phone_every: int) -> tuple[str, str, str | None]:
    first, last = FIRST_NAMES[index % 16], LAST_NAMES[index % 17]
    if no_phone_every and index % no_phone_every == no_phone_every - 1:
        return first, last, None
    area, number = divmod(index, 8_000_000)
    return first, last, f"+1{212 + area * 100}{2_000_000 + number:07d}"


class CustomerTable:
    """One shop's customers: generated ones by index plus a dict of changed/created ones; deletions hidden.

    Change customers through `put` and `delete` only: they move the table's version, which the cached bulk
    export is keyed by (changing `changed`, `deleted` or `extra_ids` in place would serve a stale export).
    """

    def __init__(self, base_id: int, count: int = 0, no_phone_every: int = 10) -> None:
        self.base_id, self.generated_count, self.no_phone_every = base_id, count, no_phone_every
        self.changed: dict[int, SimCustomer] = {}
        self.deleted: set[int] = set()
        self.extra_ids: list[int] = []  # created customers, ids above the generated range, ascending
        self._version = 0  # moved by every put and delete
        self._export: tuple[tuple, list[bytes]] | None = None  # (export key, its rendered chunks)
        self._export_lock = threading.Lock()

    def __len__(self) -> int:
        return self.generated_count + len(self.extra_ids) - len(self.deleted)

    def get(self, customer_id: int) -> SimCustomer | None:
        if customer_id in self.deleted:
            return None
        found = self.changed.get(customer_id)
        if found is None and 0 <= customer_id - self.base_id < self.generated_count:
            return generated(self.base_id, customer_id - self.base_id, self.no_phone_every)
        return found

    def put(self, customer: SimCustomer) -> None:
        if customer.customer_id not in self.changed and customer.customer_id >= self.base_id + self.generated_count:
            self.extra_ids.append(customer.customer_id)
        self.changed[customer.customer_id] = customer
        self._changed()

    def next_id(self) -> int:
        return max(self.extra_ids[-1] if self.extra_ids else 0, self.base_id + self.generated_count) + 1

    def delete(self, customer_id: int) -> bool:
        if self.get(customer_id) is None:
            return False
        self.deleted.add(customer_id)
        self._changed()
        return True

    def _changed(self) -> None:
        """A new version, after the change itself (a render that read the old version may have seen the change
        but cannot be kept), and the old export's bytes dropped."""
        with self._export_lock:
            self._version += 1
            self._export = None

    def after(self, after_id: int | None, updated_after: float | None = None) -> Iterator[SimCustomer]:
        """Customers in id order with id > after_id (and updatedAt > updated_after, when given)."""
        start = 0 if after_id is None else max(0, after_id - self.base_id + 1)
        if updated_after is not None:  # generated customers' updatedAt grows with the index: skip the older ones
            first_newer = (int(updated_after - BASE_TIME) + 1) * PER_SECOND if updated_after >= BASE_TIME else 0
            below = self.base_id + min(first_newer, self.generated_count)
            older = sorted(cid for cid, c in self.changed.items()
                           if self.base_id + start <= cid < below and c.updated_at > updated_after)
            yield from (c for c in map(self.get, older) if c is not None)
            start = max(start, first_newer)
        for index in range(start, self.generated_count):
            customer = self.get(self.base_id + index)
            if customer is not None and (updated_after is None or customer.updated_at > updated_after):
                yield customer
        position = bisect.bisect_right(self.extra_ids, after_id) if after_id is not None else 0
        for customer_id in self.extra_ids[position:]:
            customer = self.get(customer_id)
            if customer is not None and (updated_after is None or customer.updated_at > updated_after):
                yield customer

    def jsonl(self, chunk: int = 2000) -> Iterator[bytes]:
        """Every customer as JSON Lines (the bulk export), in chunks of `chunk` lines, rendered once a version.

        Shopify writes the export once and serves the file; here the first read renders while it streams (no
        wait for the first byte) and keeps the chunks only when it reached the end with the table unchanged, so
        a client leaving midway leaves nothing. Later reads of the same version stream those bytes (~475 MB a
        million customers; one export a table is kept, and a put or delete drops it).
        """
        with self._export_lock:
            key, cached = self._export_key(chunk), self._export
        if cached is not None and cached[0] == key:
            yield from cached[1]
            return
        rendered: list[bytes] = []
        for part in self._render(chunk):
            rendered.append(part)
            yield part
        with self._export_lock:
            if self._export_key(chunk) == key:
                self._export = (key, rendered)

    def _export_key(self, chunk: int) -> tuple:
        """What the export's bytes depend on: the version (puts, deletes) and the generated range's shape."""
        return self._version, self.base_id, self.generated_count, self.no_phone_every, chunk

    def _render(self, chunk: int) -> Iterator[bytes]:
        """The export's chunks, generated customers written by template."""
        lines: list[str] = []
        changed, deleted, base, every = self.changed, self.deleted, self.base_id, self.no_phone_every
        for start in range(0, self.generated_count, chunk):
            for index in range(start, min(start + chunk, self.generated_count)):
                customer_id = base + index
                if customer_id in changed or customer_id in deleted:
                    if customer_id not in deleted:
                        lines.append(_dumps(changed[customer_id].node()))
                    continue
                lines.append(_generated_line(customer_id, index, every))
            yield ("\n".join(lines) + "\n").encode() if lines else b""
            lines = []
        extras = [_dumps(c.node()) for c in map(self.get, self.extra_ids) if c is not None]
        for start in range(0, len(extras), chunk):
            yield ("\n".join(extras[start:start + chunk]) + "\n").encode()


_WITH_PHONE = (
    '{"id":"gid://shopify/Customer/%d","firstName":"%s","lastName":"%s","phone":"%s","updatedAt":"%s","tags":[],'
    '"smsMarketingConsent":{"marketingState":"%s","marketingOptInLevel":"%s","consentUpdatedAt":"%s",'
    '"consentCollectedFrom":"%s"},"defaultPhoneNumber":{"phoneNumber":"%s","smsMarketingConsent":{"state":"%s",'
    '"optInLevel":"%s","updatedAt":"%s","collectedFrom":"%s"}}}'
)
_WITHOUT_PHONE = (
    '{"id":"gid://shopify/Customer/%d","firstName":"%s","lastName":"%s","phone":null,"updatedAt":"%s","tags":[],'
    '"smsMarketingConsent":null,"defaultPhoneNumber":null}'
)
_ISO_CACHE: dict[float, str] = {}


def _generated_line(customer_id: int, index: int, no_phone_every: int) -> str:
    """`generated(...).node()` as JSON, written by template (names and enums are plain ASCII)."""
    first, last, phone = _name_phone(index, no_phone_every)
    at = BASE_TIME + index // PER_SECOND
    updated = _ISO_CACHE.get(at) or _ISO_CACHE.setdefault(at, iso_z(at))
    if phone is None:
        return _WITHOUT_PHONE % (customer_id, first, last, updated)
    consent_at = _ISO_CACHE.get(at - 86400) or _ISO_CACHE.setdefault(at - 86400, iso_z(at - 86400))
    state, level, source = STATES[index % 20], LEVELS[index % 2], SOURCES[index % 3 == 0]
    return _WITH_PHONE % (customer_id, first, last, phone, updated, state, level, consent_at, source, phone, state,
                          level, consent_at, source)


def _dumps(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def iso_z(at: float | None) -> str | None:
    if at is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def iso_shop(at: float | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(int(at), UTC).astimezone(SHOP_TZ).isoformat()


def changed_copy(customer: SimCustomer, **changes) -> SimCustomer:
    return replace(customer, **changes)
