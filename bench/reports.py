"""Figure 3: delivery reports through gunicorn (2 workers) — arrays of 1000, and one report per request — each
beside a bare Django view doing the same indexed UPDATE, served by the same gunicorn."""

import json
import queue
import threading
import time

import requests
from django.db import connection

from bench import loadgen
from bench.env import WEBHOOK_SECRET
from bench.fixtures import message_id
from bench.report import Figure

ARRAY = 1000
POSTERS = 4
WEBHOOK = "/webhooks/mitto/dlr"
BARE = "/_bench/dlr"
BUDGET_ARRAY_PER_S = 20_000
BUDGET_SINGLE_RATIO = 0.5


def array_bodies(campaign_id: int, first: int, count: int) -> list[bytes]:
    """JSON arrays of up to ARRAY `Delivered` reports for recipients first … first+count-1 of the campaign."""
    return [
        json.dumps([loadgen.report_body(message_id(campaign_id, i))
                    for i in range(start, min(start + ARRAY, first + count))]).encode()
        for start in range(first, first + count, ARRAY)
    ]


def post_all(url: str, bodies: list[bytes], *, posters: int = POSTERS, stop: threading.Event | None = None) -> dict:
    """POST every body (until `stop` is set) with `posters` concurrent clients; counts of answers by status."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for body in bodies:
        work.put(body)
    answers = {"2xx": 0, "other": 0, "errors": []}
    lock = threading.Lock()

    def poster() -> None:
        session = requests.Session()
        headers = {"Content-Type": "application/json", "X-Webhook-Token": WEBHOOK_SECRET}
        while not (stop and stop.is_set()):
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            answer = session.post(url, data=body, headers=headers, timeout=300)
            with lock:
                if 200 <= answer.status_code < 300:
                    answers["2xx"] += 1
                else:
                    answers["other"] += 1
                    answers["errors"] = (answers["errors"] + [f"{answer.status_code}: {answer.text[:200]}"])[:5]

    threads = [threading.Thread(target=poster) for _ in range(posters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def delivered_count(campaign_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT delivered FROM metrics_campaignmetrics WHERE campaign_id = %s", [campaign_id])
        return cursor.fetchone()[0]


def wait_delivered(campaign_id: int, expected: int, *, timeout_s: float) -> int:
    """Wait until the campaign's `delivered` counter reaches `expected` (reports may be applied by a task)."""
    deadline = time.monotonic() + timeout_s
    while (count := delivered_count(campaign_id)) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


def run_arrays(ctx, web_url: str) -> Figure:
    """Rows [0, A) of the N-recipient campaign go to the webhook, rows [A, 2A) to the bare view."""
    campaign_id, per_side = ctx.reports_campaign, ctx.array_reports
    product_bodies = array_bodies(campaign_id, 0, per_side)
    bare_bodies = array_bodies(campaign_id, per_side, per_side)
    for path in (BARE, WEBHOOK):  # every gunicorn worker has its database connection open before timing
        post_all(web_url + path, [b"[]"] * 2 * POSTERS)
    started = time.perf_counter()
    bare_answers = post_all(web_url + BARE, bare_bodies)
    bare_rate = per_side / (time.perf_counter() - started)
    before = delivered_count(campaign_id)
    started = time.perf_counter()
    answers = post_all(web_url + WEBHOOK, product_bodies)
    posted_seconds = time.perf_counter() - started
    applied = wait_delivered(campaign_id, before + per_side, timeout_s=60 + per_side / 1000) - before
    seconds = time.perf_counter() - started
    rate = applied / seconds
    return Figure(
        key="reports_array", work=f"delivery reports, {per_side:,} in arrays of {ARRAY}, applied",
        value=rate, unit="reports/s", baseline=bare_rate, baseline_work="bare view, one UPDATE … FROM unnest",
        budget=f"≥ {BUDGET_ARRAY_PER_S:,} reports/s", met=rate >= BUDGET_ARRAY_PER_S and applied == per_side,
        details={"applied": applied, "posted_seconds": posted_seconds, "applied_seconds": seconds,
                 "answers": answers, "bare_answers": bare_answers},
    )


def _alternate(web_url: str, prefix: str, pool: int, duration_s: float, rounds: int = 2) -> tuple[dict, dict]:
    """Bare view and webhook in turns (`rounds` each, `duration_s` in all per side), so drift on the machine
    (autovacuum, checkpoints) falls on both alike. Each side posts ids from its own half of the pool."""
    totals = {"bare": {"ok": 0, "non_2xx": 0, "socket_errors": 0, "seconds": 0.0},
              "webhook": {"ok": 0, "non_2xx": 0, "socket_errors": 0, "seconds": 0.0}}
    for round_no in range(rounds):
        share = pool // rounds
        for side, path, first in (("bare", BARE, pool), ("webhook", WEBHOOK, 0)):
            load = loadgen.Load(prefix, first + round_no * share, share, WEBHOOK_SECRET)
            result = loadgen.run(web_url + path, load, duration_s=duration_s / rounds)
            for key in totals[side]:
                totals[side][key] += result[key]
    for side in totals.values():
        side["requests_per_s"] = side["ok"] / side["seconds"]
    return totals["webhook"], totals["bare"]


def run_single(ctx, web_url: str) -> Figure:
    """One report per request for `duration_s` per side; the pools of `sent` rows are disjoint."""
    campaign_id, pool = ctx.single_campaign, ctx.single_pool
    before = delivered_count(campaign_id)
    product, bare = _alternate(web_url, f"bm{campaign_id}-", pool, ctx.duration_s)
    applied = wait_delivered(campaign_id, before + min(product["ok"], pool), timeout_s=60) - before
    rate, bare_rate = product["requests_per_s"], bare["requests_per_s"]
    return Figure(
        key="reports_single", work="delivery reports, one per request", value=rate, unit="req/s",
        baseline=bare_rate, baseline_work="bare view, one UPDATE", budget=f"ratio ≥ {BUDGET_SINGLE_RATIO}",
        met=rate >= BUDGET_SINGLE_RATIO * bare_rate and product["non_2xx"] == 0,
        details={"generator": loadgen.generator_name(), "connections": loadgen.CONNECTIONS, "webhook": product,
                 "bare": bare, "applied": applied},
    )
