"""The simulator's state: shops (tokens, OAuth codes, webhook subscriptions, customers, bulk operations,
one-time purchases, cost bucket) and the record of every call, behind one lock."""

import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field

from shopify.simulator.customers import CustomerTable

CODE_TTL_S = 600


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One request the simulator answered; `operation` is the GraphQL root field or the endpoint's name."""

    at: float
    method: str
    path: str
    shop: str | None
    operation: str
    status: int
    variables: dict | None = None


@dataclass(slots=True)
class Purchase:
    number: int
    name: str
    amount: str
    currency: str
    return_url: str
    test: bool
    created_at: float
    status: str = "PENDING"
    updated_at: float = 0.0

    @property
    def gid(self) -> str:
        return f"gid://shopify/AppPurchaseOneTime/{self.number}"


@dataclass(slots=True)
class BulkRun:
    number: int
    polls_left: int
    status: str = "CREATED"

    @property
    def gid(self) -> str:
        return f"gid://shopify/BulkOperation/{self.number}"


@dataclass(slots=True)
class CostBucket:
    maximum: float
    available: float
    at: float

    def refill(self, restore_rate: float, maximum: float) -> None:
        now = time.monotonic()
        self.maximum = maximum
        self.available = min(maximum, self.available + (now - self.at) * restore_rate)
        self.at = now


@dataclass
class Shop:
    domain: str
    shop_id: int
    customers: CustomerTable
    bucket: CostBucket
    scopes: str = ""
    installed: bool = False
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (0: never)
    refresh_tokens: dict[str, float] = field(default_factory=dict)
    subscriptions: dict[str, list[str]] = field(default_factory=dict)  # topic -> callback URLs
    bulk: BulkRun | None = None
    orders: list[dict] = field(default_factory=list)
    development: bool = False  # a development store: plan.partnerDevelopment (its purchases should be tests)

    def token_valid(self, token: str) -> bool:
        expiry = self.tokens.get(token)
        return expiry is not None and (expiry == 0 or expiry > time.time())

    def issue_token(self, ttl_s: int, refresh_ttl_s: int) -> dict:
        token = "shpat_" + secrets.token_hex(16)
        now = time.time()
        self.tokens[token] = now + ttl_s if ttl_s else 0
        answer = {"access_token": token, "scope": self.scopes}
        if ttl_s:
            refresh = "shprt_" + secrets.token_hex(16)
            self.refresh_tokens[refresh] = now + refresh_ttl_s
            answer |= {"expires_in": ttl_s, "refresh_token": refresh, "refresh_token_expires_in": refresh_ttl_s}
        return answer

    def callback_urls(self, topic: str) -> list[str]:
        return list(self.subscriptions.get(topic, ()))


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.shops: dict[str, Shop] = {}
            self.codes: dict[str, tuple[str, float]] = {}  # code -> (shop, expiry)
            self.purchases: dict[int, tuple[str, Purchase]] = {}
            self.calls: list[CallRecord] = []
            self._numbers = 0

    def number(self) -> int:
        with self.lock:
            self._numbers += 1
            return self._numbers

    def shop(self, domain: str, *, create: bool = False, customers: int = 0, no_phone_every: int = 10,
             bucket_max: float = 2000.0) -> Shop | None:
        with self.lock:
            found = self.shops.get(domain)
            if found is None and create:
                shop_id = zlib.crc32(domain.encode()) + 10_000_000_000
                table = CustomerTable(base_id=shop_id * 1000, count=customers, no_phone_every=no_phone_every)
                found = Shop(domain=domain, shop_id=shop_id, customers=table,
                             bucket=CostBucket(bucket_max, bucket_max, time.monotonic()))
                self.shops[domain] = found
            return found

    def issue_code(self, domain: str) -> str:
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = (domain, time.time() + CODE_TTL_S)
        return code

    def take_code(self, code: str, domain: str) -> bool:
        with self.lock:
            found = self.codes.pop(code, None)
        return found is not None and found[0] == domain and found[1] > time.time()

    def record(self, call: CallRecord) -> None:
        with self.lock:
            self.calls.append(call)

    def call_records(self) -> list[CallRecord]:
        with self.lock:
            return list(self.calls)
