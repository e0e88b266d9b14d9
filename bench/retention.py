"""Retention's cost (campaigns.services.sending.retention): removing the N recipients of a campaign finished past
RETENTION_DAYS in the beat task's bounded chunks, beside one bare `DELETE` of another such campaign's N rows."""

import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from bench.fixtures import sent_campaign_create, shop_create
from bench.report import Figure


def _finished_long_ago(campaign_ids: list[int]) -> None:
    from django.conf import settings

    from campaigns.models import Campaign

    Campaign.objects.filter(id__in=campaign_ids).update(
        status=Campaign.Status.COMPLETED, finished_at=timezone.now() - timedelta(days=settings.RETENTION_DAYS + 1))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) campaigns_campaignrecipient")


def run(ctx) -> list[Figure]:
    from campaigns.services.sending.retention import CHUNK_ROWS, finished_campaigns_purge

    shop = shop_create(domain="retention.bench.myshopify.com", credits=1000)
    bare_id = sent_campaign_create(shop_id=shop.id, recipients=ctx.size)
    purged_id = sent_campaign_create(shop_id=shop.id, recipients=ctx.size)
    _finished_long_ago([bare_id, purged_id])
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_campaignrecipient WHERE campaign_id = %s", [bare_id])
    bare_s = time.perf_counter() - started
    started = time.perf_counter()
    removed = finished_campaigns_purge(budget_s=24 * 3600)
    purge_s = time.perf_counter() - started
    per_million = 1_000_000 / ctx.size
    return [Figure(
        key="retention", work=f"retention: remove {ctx.size:,} recipients of a campaign finished long ago, "
        f"chunks of {CHUNK_ROWS:,}", value=purge_s * per_million, unit="s per 1M rows",
        baseline=bare_s * per_million, baseline_work="one bare DELETE", budget="- (measured)",
        details={"purge_seconds": purge_s, "bare_delete_seconds": bare_s, "removed": removed},
    )]
