"""The simulator's options: one frozen value, replaced as a whole when changed at run time."""

from dataclasses import dataclass
from typing import Any

from config.simulators import SimulatorOptions, option

SHARES = ("fail_5xx_share", "drop_after_accept_share", "dlr_delivered_share")


@dataclass(frozen=True)
class SimulatorConfig(SimulatorOptions):
    api_key: str | None = option(None, "the only accepted X-Mitto-API-Key (unset: any non-empty key)")
    rate_limit_rps: float = option(1000.0, "requests per second accepted before answering 429")
    fail_5xx_share: float = option(0.0, "share of requests answered 503 (0..1)")
    delay_ms: int = option(0, "delay before every answer, in ms")
    drop_after_accept_share: float = option(0.0, "share of send requests accepted, then closed without answer (0..1)")
    burst_429: int = option(0, "answer the next N requests with 429")
    reject_prefix: str | None = option(None, "destinations starting with this are always rejected")
    dlr_url: str | None = option(None, "URL delivery reports are posted to (unset: no reports)")
    dlr_batch: int = option(1000, "messages reported per POST")
    dlr_delay_ms: int = option(0, "delay between accepting a message and reporting it, in ms")
    dlr_delivered_share: float = option(1.0, "share of reports that are Delivered; the rest are Failed (0..1)")
    dlr_duplicates: bool = option(False, "post every report array twice")
    dlr_intermediate: bool = option(False, "also report an intermediate 'Sent' status per message")
    dlr_reorder: bool = option(False, "shuffle report arrays; final reports come before intermediate ones")
    dlr_token: str | None = option(None, "token sent with every report")
    dlr_token_mode: str = option("query", "how the token is sent: 'query' (?token=) or 'header' (X-Webhook-Token)")
    seed: int | None = option(None, "random seed for faults and report outcomes")

    def __post_init__(self) -> None:
        for name in SHARES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("port", "delay_ms", "burst_429", "dlr_delay_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_limit_rps <= 0 or self.dlr_batch < 1:
            raise ValueError("rate_limit_rps and dlr_batch must be positive")
        if self.dlr_token_mode not in ("query", "header"):
            raise ValueError("dlr_token_mode must be 'query' or 'header'")

    @staticmethod
    def coerce(kind: Any, value: Any, name: str) -> Any:
        """`value` as the option type `kind` (bool, int, float, str, or an optional one of those)."""
        optional = kind in (str | None, int | None)
        if value is None or (optional and value == ""):
            if optional:
                return None
            raise ValueError(f"{name} must not be empty")
        base = {str | None: str, int | None: int}.get(kind, kind)
        if base is bool:
            if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
                return value.lower() in ("true", "1", "yes")
            if isinstance(value, bool):
                return value
            raise ValueError(f"{name} must be true or false")
        try:
            return base(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be {base.__name__}") from None
