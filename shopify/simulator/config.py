"""The Shopify simulator's options: one frozen value, replaced whole when changed at run time."""

from dataclasses import dataclass
from typing import Any, get_args

from config.simulators import SimulatorOptions, option


@dataclass(frozen=True)
class SimulatorConfig(SimulatorOptions):
    api_key: str | None = option(None, "the app's client id expected by OAuth (unset: any)")
    api_secret: str = option("sim-secret", "the app's client secret: signs OAuth redirects and webhooks")
    api_version: str = option("2026-10", "the API version named in webhook headers")
    token_ttl_s: int = option(86400, "life of an access token in seconds (0: non-expiring offline tokens)")
    refresh_ttl_s: int = option(7776000, "life of a refresh token in seconds")
    bucket_max: float = option(2000.0, "cost bucket size per shop (maximumAvailable)")
    restore_rate: float = option(1000000.0, "cost points restored per second (Shopify: 100; high: never throttles)")
    throttle_next: int = option(0, "answer the next N GraphQL calls THROTTLED")
    fail_status: int = option(500, "HTTP status of the failures armed by fail_next")
    fail_next: int = option(0, "answer the next N GraphQL calls with fail_status")
    fail_5xx_share: float = option(0.0, "share of GraphQL calls answered 503 (0..1)")
    delay_ms: int = option(0, "delay before every GraphQL answer, in ms")
    bulk_polls: int = option(1, "currentBulkOperation polls answered RUNNING before COMPLETED")
    webhook_url: str | None = option(None, "deliver every webhook here (unset: to the shop's subscriptions)")
    webhook_attempts: int = option(8, "delivery attempts of one webhook before it is given up")
    webhook_retry_ms: int = option(200, "pause before the first retry of a failed delivery (doubles each time)")
    webhook_duplicates: bool = option(False, "deliver every webhook twice (same X-Shopify-Webhook-Id)")
    webhook_reorder: bool = option(False, "deliver the webhooks waiting together in random order")
    webhook_bad_hmac_share: float = option(0.0, "share of deliveries signed with a wrong key (0..1)")
    webhook_hold: bool = option(False, "queue webhooks without delivering them until /_sim/flush")
    seed: int | None = option(None, "random seed for faults, reordering and bad signatures")

    def __post_init__(self) -> None:
        for name in ("fail_5xx_share", "webhook_bad_hmac_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("port", "token_ttl_s", "throttle_next", "fail_next", "delay_ms", "bulk_polls",
                     "webhook_retry_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.bucket_max <= 0 or self.restore_rate <= 0 or self.webhook_attempts < 1 or self.refresh_ttl_s < 1:
            raise ValueError("bucket_max, restore_rate, refresh_ttl_s and webhook_attempts must be positive")
        if not 400 <= self.fail_status <= 599:
            raise ValueError("fail_status must be an HTTP error status (400..599)")

    @staticmethod
    def coerce(kind: Any, value: Any, name: str) -> Any:
        optional = type(None) in get_args(kind)
        base = next((arg for arg in get_args(kind) if arg is not type(None)), kind)
        if value is None or (optional and value == ""):
            if optional:
                return None
            raise ValueError(f"{name} must be set")
        if base is bool:
            truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
            found = value if isinstance(value, bool) else truth.get(str(value).lower())
            if found is None:
                raise ValueError(f"{name} must be true or false")
            return found
        try:
            return base(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be {base.__name__}") from None
