"""The campaign status payload (API.md "status"), built from the counters row alone, and its cache."""

import logging
import math
import time
from collections.abc import Callable, Mapping

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from metrics.services import COUNTERS

logger = logging.getLogger(__name__)


def paused_reason(*, status: str, reason: str) -> str | None:
    """What `pausedReason` answers: the stored reason of a `paused` campaign, null in every other status."""
    return (reason or None) if status == "paused" else None


def status_payload(*, campaign: Mapping, counters: Mapping[str, int] | None) -> dict:
    """API.md's status answer for `campaign` ({id, name, status, paused_reason?}) and its counters (None: no
    metrics row yet, all zero). `cancelled` and `held` are extensions; processed = sent + failed + cancelled,
    so total = queued + processed always holds. `pausedReason` is why a paused campaign is paused, else null."""
    c = {name: (counters or {}).get(name) or 0 for name in COUNTERS}
    processed = c["sent"] + c["failed"] + c["cancelled"]
    return {
        "campaign": {
            "id": campaign["id"],
            "name": campaign["name"],
            "status": campaign["status"],
            "pausedReason": paused_reason(status=campaign["status"], reason=campaign.get("paused_reason", "")),
            "total": c["total"],
            "sent": c["sent"],
            "delivered": c["delivered"],
            "failed": c["failed"],
            "processed": processed,
        },
        "metrics": {
            "queued": c["total"] - processed,
            "success": c["sent"],
            "delivered": c["delivered"],
            "processed": processed,
            "failed": c["failed"],
            "cancelled": c["cancelled"],
            "held": c["held"],
        },
    }


def status_cache_key(*, shop_id: int, campaign_id: int) -> str:
    return f"campaign-status:{shop_id}:{campaign_id}"


def status_cached(*, shop_id: int, campaign_id: int, build: Callable[[], dict | None]) -> dict | None:
    """The payload `build()` returns, served from the cache for settings.STATUS_CACHE_SECONDS (0: never
    cached). The key names the shop, so one shop's entry is never another's answer; None (no such
    campaign) is not cached. Entries carry their own expiry, so fractions of a second are honoured. The
    cache is best effort: when Redis is down the answer comes from the database."""
    seconds = settings.STATUS_CACHE_SECONDS
    if seconds <= 0:
        return build()
    key = status_cache_key(shop_id=shop_id, campaign_id=campaign_id)
    try:
        entry = cache.get(key)
        if entry is not None and entry[0] > time.time():
            return entry[1]
        payload = build()
        if payload is not None:
            cache.set(key, (time.time() + seconds, payload), timeout=math.ceil(seconds))
        return payload
    except RedisError:
        logger.warning("status cache unavailable; answering from the database", exc_info=True)
        return build()
