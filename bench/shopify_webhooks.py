"""`python -m bench.shopify_webhooks [--seconds 20]`: Shopify webhooks, one per request, through gunicorn
(2 workers), beside a bare Django view doing one INSERT of the same row, served by the same gunicorn
(DESIGN.md budget: ≥ 0.5×).

Each request is a signed `customers/update` delivery with its own X-Shopify-Webhook-Id, so every one is stored.
The product's view checks the HMAC, stores the row and publishes its processing task to Redis (no worker runs:
the bench measures the answer). Both sides run in alternating rounds so drift on the machine falls on both.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import threading
import time
from urllib.parse import urlsplit

from bench.env import BenchEnv, load_average
from bench.stack import Stack

SECRET = "bench-shopify-secret"
WEBHOOK, BARE = "/webhooks/shopify", "/_bench/shopify"
PROCESSES, THREADS = 2, 4
ROUNDS = 2
BODY = json.dumps({"id": 706405506930370084, "first_name": "Ada", "last_name": "Lovelace", "phone": "+12125550100",
                   "updated_at": "2026-11-30T10:00:00-05:00", "email": None}).encode()


def _load(args) -> tuple[int, int, float]:
    url, tag, duration_s = args
    parts = urlsplit(url)
    signature = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()
    counts = [[0, 0] for _ in range(THREADS)]
    started = time.perf_counter()
    deadline = started + duration_s

    def loop(index: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            headers = {"Content-Type": "application/json", "X-Shopify-Topic": "customers/update",
                       "X-Shopify-Shop-Domain": "bench.myshopify.com", "X-Shopify-API-Version": "2026-10",
                       "X-Shopify-Webhook-Id": f"{tag}-{index}-{n}", "X-Shopify-Hmac-Sha256": signature}
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            conn.request("POST", parts.path, BODY, headers)
            status = conn.getresponse().status
            conn.close()
            counts[index][0 if 200 <= status < 300 else 1] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts), time.perf_counter() - started


def _run(url: str, tag: str, duration_s: float) -> tuple[int, int, float]:
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.map(_load, [(url, f"{tag}-p{slot}", duration_s) for slot in range(PROCESSES)])
    return sum(r[0] for r in results), sum(r[1] for r in results), max(r[2] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per side")
    args = parser.parse_args()
    os.environ["SHOPIFY_API_SECRET"] = SECRET  # inherited by gunicorn (BenchEnv.process_env)
    env = BenchEnv()
    env.create()
    stack = Stack(env)
    try:
        web = stack.gunicorn()
        _run(web + BARE, "warm-bare", 1)
        _run(web + WEBHOOK, "warm-hook", 1)
        totals = {"bare": [0, 0, 0.0], "webhook": [0, 0, 0.0]}
        for round_no in range(ROUNDS):
            for side, path in (("bare", BARE), ("webhook", WEBHOOK)):
                ok, bad, seconds = _run(web + path, f"{side}{round_no}", args.seconds / ROUNDS)
                totals[side] = [totals[side][0] + ok, totals[side][1] + bad, totals[side][2] + seconds]
        rates = {side: ok / seconds for side, (ok, _, seconds) in totals.items()}
        for side, (ok, bad, seconds) in totals.items():
            print(f"{side}: {ok:,} answered 2xx ({bad} other) in {seconds:.1f} s = {rates[side]:,.0f} req/s")
        ratio = rates["webhook"] / rates["bare"]
        print(f"ratio webhook / bare = {ratio:.2f} (budget ≥ 0.5: {'met' if ratio >= 0.5 else 'missed'}); "
              f"load average {load_average()}")
    finally:
        stack.close()
        env.drop()


if __name__ == "__main__":
    main()
