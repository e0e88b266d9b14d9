"""Figure 4: latency of the status endpoint on the N-recipient campaign, idle and while delivery reports for it
are applied by a poster sending arrays of 1000 back to back (through the same gunicorn)."""

import statistics
import threading
import time

import requests

from bench.report import Figure
from bench.reports import WEBHOOK, array_bodies, delivered_count, post_all

BUDGET_P95_MS = 10.0


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "samples": len(samples_ms)}


def sample(url: str, key: str, *, duration_s: float, until: threading.Event | None = None) -> list[float]:
    """GET `url` one request after another for `duration_s` (or until `until` is set); latencies in ms."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {key}"}
    latencies = []
    deadline = time.perf_counter() + duration_s
    while time.perf_counter() < deadline and not (until and until.is_set()):
        started = time.perf_counter()
        answer = session.get(url, headers=headers, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return latencies


def run(ctx, web_url: str) -> Figure:
    campaign_id = ctx.reports_campaign
    url = f"{web_url}/api/v1/campaigns/{campaign_id}/status"
    sample(url, ctx.shop_a.key, duration_s=0.5)  # warm both gunicorn workers
    idle = percentiles(sample(url, ctx.shop_a.key, duration_s=ctx.duration_s))
    first = 2 * ctx.array_reports
    bodies = array_bodies(campaign_id, first, ctx.size - first)
    done = threading.Event()
    answers: dict = {}
    before = delivered_count(campaign_id)

    def load() -> None:  # once every report is in, it posts them again (duplicates) until sampling ends
        while not done.is_set():
            answers.update(post_all(web_url + WEBHOOK, bodies, posters=1, stop=done))

    poster = threading.Thread(target=load)
    poster.start()
    try:
        loaded = percentiles(sample(url, ctx.shop_a.key, duration_s=ctx.duration_s))
    finally:
        done.set()
        poster.join()
    applied = delivered_count(campaign_id) - before
    return Figure(
        key="status_p95", work=f"status endpoint p95 (p50 {loaded['p50']:.1f}, p99 {loaded['p99']:.1f} ms), "
        f"{ctx.size:,}-recipient campaign, reports being applied",
        value=loaded["p95"], unit="ms", baseline=idle["p95"], baseline_work="same endpoint, no load",
        budget=f"p95 ≤ {BUDGET_P95_MS:.0f} ms", met=loaded["p95"] <= BUDGET_P95_MS,
        details={"loaded": loaded, "idle": idle, "reports_applied_meanwhile": applied, "last_answers": answers},
    )
