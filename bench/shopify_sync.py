"""`python -m bench.shopify_sync [--customers 1000000]`: the first Shopify sync of a big shop beside a bare COPY of
the same rows into the contacts table (DESIGN.md budget: the sync ≤ 2× the COPY).

The simulator runs in a process of its own serving the shop's bulk export. The bare side: the export's customers
with a phone, turned into contact rows beforehand (untimed), then one `COPY campaigns_contact … FROM STDIN` of
them, timed. The sync side: `shopify_sync_run` of the install in bulk mode, timed from start to done — the bulk
operation, downloading and parsing the JSON Lines, phones, the chunked COPY + set-based upsert, consent events
and checkpoints. The contacts table is emptied before each side. One line per figure.
"""

import argparse
import io
import os
import time

import requests

from bench.env import BenchEnv, load_average
from bench.shopify_simulator import _start_simulator

SHOP, BARE_SHOP = "sync-bench.myshopify.com", "bare-bench.myshopify.com"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    env = BenchEnv()
    env.create()
    from bench import shopify_simulator

    base = _start_simulator()
    try:
        token = requests.post(f"{base}/_sim/shops", json={"shop": SHOP, "customers": args.customers, "token": True},
                              timeout=30).json()["access_token"]
        os.environ.update(SHOPIFY_ADMIN_BASE=base + "/{shop}", SHOPIFY_API_KEY="bench", SHOPIFY_API_SECRET="bench")
        env.activate()
        bare_s, rows = _bare(token)
        sync_s, seen = _sync(token)
        print(f"bare COPY: {rows:,} contact rows in {bare_s:.2f} s = {rows / bare_s:,.0f} rows/s")
        print(f"first sync: {seen:,} customers ({rows:,} contacts) in {sync_s:.2f} s = {seen / sync_s:,.0f}/s")
        ratio = sync_s / bare_s
        print(f"ratio sync / bare COPY = {ratio:.2f} (budget ≤ 2: {'met' if ratio <= 2 else 'missed'}); "
              f"load average {load_average()}")
    finally:
        shopify_simulator._SIMULATOR.terminate()
        shopify_simulator._SIMULATOR.wait(timeout=10)
        env.drop()


def _bare(token: str) -> tuple[float, int]:
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Contact
    from campaigns.services.shopify_sync.customers import customer_phone
    from campaigns.services.shops import shop_create
    from shopify import admin
    from shopify.client import AdminClient

    shop = shop_create(domain=BARE_SHOP)
    client = AdminClient(SHOP, token)
    url = admin.bulk_operation_wait(client, operation_id=admin.bulk_customers_start(client).operation_id).url
    now, buffer, rows = timezone.now().isoformat(), io.StringIO(), 0
    for customer in admin.bulk_customers(url):
        phone = customer_phone(customer.phone, region="US")
        if phone is None:
            continue
        consent = bool(customer.consent and customer.consent.subscribed)
        buffer.write(f"{shop.pk}\t{phone}\t{customer.first_name or ''}\t{customer.last_name or ''}\t[]\t"
                     f"{'t' if consent else 'f'}\t{now}\tshopify\t\\N\t\t{now}\t{now}\t{customer.customer_id}\n")
        rows += 1
    data = buffer.getvalue().encode()
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
        _checkpoint()
        started = time.perf_counter()
        with cursor.copy(f"COPY {table} (shop_id, phone, first_name, last_name, tags, sms_consent, consent_at,"
                         " consent_source, opted_out_at, timezone, created_at, updated_at, shopify_customer_id)"
                         " FROM STDIN") as copy:
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start:start + (1 << 20)])
        elapsed = time.perf_counter() - started
        cursor.execute(f"TRUNCATE {table} CASCADE")
    return elapsed, rows


def _sync(token: str) -> tuple[float, int]:
    from campaigns.models import ShopifyInstall
    from campaigns.services.shopify_sync.sync import shopify_sync_run
    from campaigns.services.shops import shop_create
    from config.runtime import freeze_startup_objects
    from shopify.tokens import encrypt_token

    freeze_startup_objects()  # as a worker process does at start (config/celery.py), where the sync task runs
    shop = shop_create(domain=SHOP)
    install = ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token(token), sync_state="running",
                                            sync_mode="bulk")
    _checkpoint()
    started = time.perf_counter()
    assert shopify_sync_run(install_id=install.pk) == "done"
    elapsed = time.perf_counter() - started
    install.refresh_from_db()
    return elapsed, install.customers_seen


def _checkpoint() -> None:
    """Each side starts with no dirty pages of the other's: the bare COPY's half a gigabyte of WAL would
    otherwise start a checkpoint during the sync, which then writes its pages and full-page images meanwhile."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


if __name__ == "__main__":
    main()
