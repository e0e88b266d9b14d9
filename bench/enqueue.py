"""Figure 1: enqueue of N consenting contacts, beside the bare INSERT … SELECT of the same rows."""

import time

from django.conf import settings
from django.db import connection, transaction

from bench.drive import ShopApi
from bench.report import Figure

_BARE_TABLE = "bench_recipient_baseline"
_BARE_INSERT = f"""
INSERT INTO {_BARE_TABLE} (campaign_id, contact_id, phone, batch_no, status, retry_count, error)
SELECT %(campaign)s, c.id, c.phone, (row_number() OVER (ORDER BY c.id) - 1) / %(batch)s, 'queued', 0, ''
FROM campaigns_contact c
WHERE c.shop_id = %(shop)s AND c.sms_consent AND c.opted_out_at IS NULL
"""


def bare_insert_seconds(*, shop_id: int, campaign_id: int, campaign_fk: bool = False) -> float:
    """Time (including commit) of inserting the audience into a table shaped like the recipients table:
    `LIKE campaigns_campaignrecipient INCLUDING ALL` copies columns, defaults, indexes and check constraints,
    not foreign keys; `campaign_fk` adds the recipients table's deferred one to campaigns_campaign."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_BARE_TABLE}")
        cursor.execute(f"CREATE TABLE {_BARE_TABLE} (LIKE campaigns_campaignrecipient INCLUDING ALL)")
        if campaign_fk:
            cursor.execute(f"ALTER TABLE {_BARE_TABLE} ADD FOREIGN KEY (campaign_id) REFERENCES campaigns_campaign (id)"
                           " DEFERRABLE INITIALLY DEFERRED")
        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute(_BARE_INSERT, {"campaign": campaign_id, "batch": settings.SMS_BATCH_SIZE,
                                          "shop": shop_id})
        elapsed = time.perf_counter() - started
        cursor.execute(f"DROP TABLE {_BARE_TABLE}")
    return elapsed


def run(ctx) -> list[Figure]:
    api = ShopApi(ctx.shop_a)
    with connection.cursor() as cursor:  # both sides start with the contacts in the cache
        cursor.execute("SELECT count(*) FROM campaigns_contact WHERE shop_id = %s", [ctx.shop_a.id])
    campaign_id = api.campaign_create("bench enqueue")
    baseline = bare_insert_seconds(shop_id=ctx.shop_a.id, campaign_id=campaign_id)
    with_fk = bare_insert_seconds(shop_id=ctx.shop_a.id, campaign_id=campaign_id, campaign_fk=True)
    started = time.perf_counter()
    answer = api.enqueue(campaign_id)
    elapsed = time.perf_counter() - started
    api.cancel(campaign_id)
    ctx.env.purge_queues()
    if answer.get("created") != ctx.size:
        raise RuntimeError(f"enqueue created {answer.get('created')} recipients, expected {ctx.size}")
    return [Figure(
        key="enqueue", work=f"enqueue {ctx.size:,} consenting contacts", value=elapsed, unit="s",
        baseline=baseline, baseline_work="bare INSERT … SELECT", budget="ratio ≤ 2",
        met=elapsed <= 2 * baseline, details={"enqueue_answer": answer, "bare_with_campaign_fk_s": with_fk},
    )]
