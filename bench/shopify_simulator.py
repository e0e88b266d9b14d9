"""`python -m bench.shopify_simulator [--customers 1000000] [--pages 400]`: how fast the Shopify simulator serves.

The simulator runs in a process of its own (`manage.py shopify_simulator`), as in the demo and the end-to-end
tests. Measures, over real HTTP on this machine: the bulk export's JSON Lines (customers/s served, counted as
newlines, and read and parsed into records by `shopify.admin.bulk_customers`), and paged GraphQL
`customers(first: 250)` through `shopify.client.AdminClient` (pages/s and customers/s). One line per figure.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

SHOP = "bench.myshopify.com"
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=400, help="GraphQL pages of 250 to read")
    args = parser.parse_args()

    base = _start_simulator()
    try:
        answer = requests.post(f"{base}/_sim/shops", json={"shop": SHOP, "customers": args.customers, "token": True})
        token = answer.json()["access_token"]
        os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", SHOPIFY_ADMIN_BASE=base + "/{shop}")
        import django

        django.setup()
        from shopify import admin
        from shopify.client import AdminClient

        client = AdminClient(SHOP, token)
        url = admin.bulk_operation_wait(client, operation_id=admin.bulk_customers_start(client).operation_id).url

        started = time.perf_counter()
        with requests.get(url, stream=True, timeout=600) as response:
            raw = sum(chunk.count(b"\n") for chunk in response.iter_content(chunk_size=1 << 20))
        _report("bulk JSON Lines served (newlines counted)", raw, time.perf_counter() - started, "customers")

        started = time.perf_counter()
        parsed = sum(1 for _ in admin.bulk_customers(url))
        _report("bulk JSON Lines, parsed into records", parsed, time.perf_counter() - started, "customers")

        started, pages, customers = time.perf_counter(), 0, 0
        for page in admin.customer_pages(client):
            pages, customers = pages + 1, customers + len(page.customers)
            if pages >= args.pages:
                break
        elapsed = time.perf_counter() - started
        _report("GraphQL customers(first: 250)", pages, elapsed, "pages")
        _report("GraphQL customers(first: 250)", customers, elapsed, "customers")
    finally:
        _SIMULATOR.terminate()
        _SIMULATOR.wait(timeout=10)


_SIMULATOR: subprocess.Popen


def _start_simulator() -> str:
    global _SIMULATOR
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _SIMULATOR = subprocess.Popen(
        [sys.executable, "manage.py", "shopify_simulator", "--port", str(port), "--bulk-polls", "0"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}, stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/_sim/stats", timeout=1)
            return base
        except requests.ConnectionError:
            time.sleep(0.1)
    _SIMULATOR.terminate()
    raise SystemExit("the simulator did not start")


def _report(what: str, count: int, seconds: float, unit: str) -> None:
    print(f"{what}: {count:,} {unit} in {seconds:.2f} s = {count / seconds:,.0f} {unit}/s")


if __name__ == "__main__":
    main()
