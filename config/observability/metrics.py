"""Every Prometheus metric of the deployment, and the small `observe_*` functions the code calls.

Names start with `shopsms_`. Every series has the label `deployment` (settings.SMS_KEY_PREFIX), and
beside it only labels with a small fixed set of values (outcome, state, reason, queue, endpoint, status
code): never a phone, a shop or a campaign id, which would grow the series without bound and put
personal data in the metrics store.

Processes: with PROMETHEUS_MULTIPROC_DIR set (it must be, before this module is imported, in every web
worker and Celery process of a host: prometheus_client reads it at import) each process writes its
samples to files there and `/metrics` sums them all (prometheus_client's multiprocess mode; gunicorn's
`child_exit` and Celery's `worker_process_shutdown` mark a dead process's files). Unset, the metrics live
in one registry in this process (`REGISTRY`), which `/metrics` serves.
"""

import bisect
import collections
import functools
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from prometheus_client import CollectorRegistry, Counter, Histogram

from config.observability.queues import QueueDepthCollector

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# Multiprocess: samples go to files, not to a registry (a registry of them would be served twice), and
# /metrics builds its registry per scrape (endpoint.scrape_registry).
REGISTRY = None if MULTIPROCESS else CollectorRegistry(auto_describe=True)
if REGISTRY is not None:
    REGISTRY.register(QueueDepthCollector())

MESSAGE_OUTCOMES = ("accepted", "rejected", "delivered", "failed", "cancelled")
BATCH_FINAL_STATES = ("submitted", "failed", "cancelled", "unknown")
RETRY_REASONS = ("rate_limited", "transient")
PROVIDER_OUTCOMES = ("ok", "rate_limited", "transient", "permanent", "unknown")
REPORT_RESULTS = ("applied", "unknown", "ignored")

MESSAGES = Counter(
    "shopsms_messages", "Messages by outcome: accepted or rejected by Mitto, then delivered or failed by "
    "its reports (or failed with their batch), or cancelled before sending.",
    ["deployment", "outcome"], registry=REGISTRY,
)
BATCHES = Counter(
    "shopsms_batches_final", "Batches reaching a final state (submitted, failed, cancelled, unknown).",
    ["deployment", "state"], registry=REGISTRY,
)
RETRIES = Counter(
    "shopsms_batch_retries", "Batch attempts put off to retry, by reason (rate_limited, transient).",
    ["deployment", "reason"], registry=REGISTRY,
)
LIMITER_WAITS = Counter(
    "shopsms_limiter_waits", "Provider requests refused a token by the rate limiter (the caller waits).",
    ["deployment"], registry=REGISTRY,
)
LIMITER_WAIT_SECONDS = Counter(
    "shopsms_limiter_wait_seconds", "Seconds of waiting the rate limiter asked for, summed.",
    ["deployment"], registry=REGISTRY,
)
REPORTS = Counter(
    "shopsms_delivery_reports", "Delivery reports received, by result (applied, unknown id, ignored).",
    ["deployment", "result"], registry=REGISTRY,
)
REPORT_LAG = Histogram(
    "shopsms_delivery_report_lag_seconds", "Time from a message's sending to its final delivery report.",
    ["deployment"], registry=REGISTRY,
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600, 72 * 3600),
)
PROVIDER_SECONDS = Histogram(
    "shopsms_provider_request_seconds", "Mitto requests by endpoint (bulk, single, lookup) and outcome.",
    ["deployment", "endpoint", "outcome"], registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HTTP_SECONDS = Histogram(
    "shopsms_http_request_seconds", "Webhook and redirect requests by endpoint and status code.",
    ["deployment", "endpoint", "status"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)


def _deployment() -> str:
    return settings.SMS_KEY_PREFIX


def _checked(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}")
    return value


def after_commit(observe: Callable, *args) -> None:
    """`observe(*args)` once the current transaction commits (at once outside one): a state change rolled
    back (a deadlock retried, a connection lost) is never counted."""
    transaction.on_commit(functools.partial(observe, *args))


def observe_messages(outcome: str, n: int = 1) -> None:
    """`n` messages reached `outcome` (one of MESSAGE_OUTCOMES)."""
    if n:
        MESSAGES.labels(_deployment(), _checked(outcome, MESSAGE_OUTCOMES, "outcome")).inc(n)


def observe_batch_final(state: str, n: int = 1) -> None:
    """`n` batches reached the final `state` (one of BATCH_FINAL_STATES)."""
    if n:
        BATCHES.labels(_deployment(), _checked(state, BATCH_FINAL_STATES, "state")).inc(n)


def observe_retry(reason: str) -> None:
    """A batch attempt is put off to be retried for `reason` (one of RETRY_REASONS)."""
    RETRIES.labels(_deployment(), _checked(reason, RETRY_REASONS, "reason")).inc()


def observe_limiter_wait(seconds: float) -> None:
    """The rate limiter refused a token and asked the caller to wait `seconds`."""
    deployment = _deployment()
    LIMITER_WAITS.labels(deployment).inc()
    LIMITER_WAIT_SECONDS.labels(deployment).inc(max(0.0, seconds))


def observe_reports(*, applied: int, unknown: int, ignored: int) -> None:
    """What became of the delivery reports of one webhook call."""
    deployment = _deployment()
    for result, n in zip(REPORT_RESULTS, (applied, unknown, ignored), strict=True):
        if n:
            REPORTS.labels(deployment, result).inc(n)


def observe_report_lag(seconds: float) -> None:
    """One final delivery report arrived `seconds` after its message was sent."""
    REPORT_LAG.labels(_deployment()).observe(max(0.0, seconds))


def observe_report_lags(seconds: Iterable[float]) -> None:
    """`observe_report_lag` for each value: a payload of 1000 reports costs one write per bucket touched
    (observing them one by one would cost the report webhook about a third of its throughput)."""
    observe_many(REPORT_LAG.labels(_deployment()), [max(0.0, value) for value in seconds])


def observe_many(histogram, values: list[float]) -> None:
    """What `histogram.observe(v)` for each of `values` does, with one increment per bucket touched.

    Reaches into prometheus_client's Histogram child (`_upper_bounds`, `_buckets`, `_sum`, as its own
    `observe` does); config/tests/test_metrics_histogram.py proves the result equal to observing one by one."""
    if not values:
        return
    bounds = histogram._upper_bounds
    per_bucket = collections.Counter(bisect.bisect_left(bounds, value) for value in values)
    histogram._sum.inc(sum(values))
    for index, count in per_bucket.items():
        histogram._buckets[index].inc(count)


def observe_provider_request(endpoint: str, outcome: str, seconds: float) -> None:
    """One Mitto request to `endpoint` (bulk, single, lookup) ended with `outcome` after `seconds`."""
    PROVIDER_SECONDS.labels(_deployment(), endpoint, _checked(outcome, PROVIDER_OUTCOMES, "outcome")).observe(
        seconds
    )


def observe_http(endpoint: str, status: int, seconds: float) -> None:
    """One request to a watched view (`endpoint`: mitto_dlr, mitto_inbound, redirect, …) answered `status`."""
    HTTP_SECONDS.labels(_deployment(), endpoint, str(status)).observe(seconds)


def timed_view(endpoint: str) -> Callable:
    """Decorate a view so its requests are counted and timed under `endpoint` (an exception counts as 500)."""

    def decorate(view):
        @functools.wraps(view)
        def timed(request, *args, **kwargs):
            started = time.perf_counter()
            status = 500
            try:
                response = view(request, *args, **kwargs)
                status = response.status_code
                return response
            finally:
                observe_http(endpoint, status, time.perf_counter() - started)

        return timed

    return decorate
