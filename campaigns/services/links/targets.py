"""Where a recipient's short link leads, answered from memory: a per-process cache that lets the redirect find a
code's URL without a database query once the campaign is known (DESIGN.md "Links and attribution").

A code carries the recipient id, not the campaign. The cache keeps, per campaign recently clicked, its URLs with
the UTM parameters already added and, when the campaign's recipients hold every id of one range (one INSERT …
SELECT at enqueue gives that unless another enqueue ran at the same moment), that range: a recipient id inside a
known range needs no query at all. A recipient outside every known range costs one indexed query (its campaign),
then the campaign's range is learnt. Safe because nothing cached changes: a recipient id is never reused or moved
to another campaign, and a campaign's links are stored with its recipients at enqueue and never written again
once it has recipients (a test send rewrites them only while the campaign is editable, which is before any
recipient exists; test sends' codes are therefore never cached). A campaign's URLs are re-read after
TARGET_TTL_S, so one erased (shop/redact) stops redirecting in that time; at most MAX_CAMPAIGNS are kept, the one
(re)loaded longest ago dropped first (a campaign still clicked is reloaded every TARGET_TTL_S).
"""

import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass

from django.db import connection

from campaigns.models import CampaignLink, CampaignRecipient
from campaigns.services.links.utm import utm_added

TARGET_TTL_S = 300.0
MAX_CAMPAIGNS = 2048

_RECIPIENTS = CampaignRecipient._meta.db_table
_LINKS = CampaignLink._meta.db_table


@dataclass(frozen=True, slots=True)
class CampaignTargets:
    """A campaign's redirect targets by link position (UTM added), and the recipient ids that are all its own
    (`first`..`last`, both None when its ids are not one range of their own)."""

    campaign_id: int
    urls: tuple[str, ...]
    first: int | None
    last: int | None
    expires: float


class _Cache:
    """Campaign id → CampaignTargets in (re)load order, and the sorted ranges of those that have one. Readers take
    a snapshot of (starts, ranged) without the lock; writers replace it whole."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[int, CampaignTargets] = OrderedDict()
        self.ranges: tuple[tuple[int, ...], tuple[CampaignTargets, ...]] = ((), ())

    def by_recipient(self, recipient_id: int) -> CampaignTargets | None:
        """The cached campaign whose range holds `recipient_id` (fresh or not: a range never stops being its)."""
        starts, ranged = self.ranges
        index = bisect_right(starts, recipient_id) - 1
        if index < 0:
            return None
        entry = ranged[index]
        return entry if recipient_id <= entry.last else None

    def by_campaign(self, campaign_id: int) -> CampaignTargets | None:
        return self.entries.get(campaign_id)

    def put(self, entry: CampaignTargets) -> None:
        with self.lock:
            self.entries[entry.campaign_id] = entry
            self.entries.move_to_end(entry.campaign_id)
            while len(self.entries) > MAX_CAMPAIGNS:
                self.entries.popitem(last=False)
            ranged = sorted((e for e in self.entries.values() if e.first is not None), key=lambda e: e.first)
            self.ranges = (tuple(e.first for e in ranged), tuple(ranged))

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.ranges = ((), ())


_cache = _Cache()


def targets_cache_clear() -> None:
    """Forget every cached campaign (tests whose database ids start over)."""
    _cache.clear()


def _campaign_of(recipient_id: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT campaign_id FROM {_RECIPIENTS} WHERE id = %s", [recipient_id])
        row = cursor.fetchone()
    return row[0] if row else None


def _load(campaign_id: int, now: float, known: CampaignTargets | None) -> CampaignTargets:
    """The campaign's URLs, and the first time it is seen in this process its recipients' id range (an
    index-only scan of its (campaign, id) entries): its own when it holds as many ids as the campaign has
    recipients. Later reloads (after TARGET_TTL_S) read the URLs only: a range that was the campaign's stays so,
    since ids are never reused or moved, and one that was not never becomes so."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT url FROM {_LINKS} WHERE campaign_id = %s ORDER BY position", [campaign_id])
        urls = tuple(utm_added(url, campaign_id=campaign_id) for (url,) in cursor.fetchall())
        if known is not None:
            return CampaignTargets(campaign_id, urls, known.first, known.last, now + TARGET_TTL_S)
        cursor.execute(f"SELECT min(id), max(id), count(*) FROM {_RECIPIENTS} WHERE campaign_id = %s", [campaign_id])
        first, last, count = cursor.fetchone()
    own = first is not None and last - first + 1 == count
    return CampaignTargets(campaign_id, urls, first if own else None, last if own else None, now + TARGET_TTL_S)


def recipient_targets(recipient_id: int) -> CampaignTargets | None:
    """The targets of the campaign `recipient_id` belongs to, or None when no such recipient exists. No query
    when the recipient falls in a cached campaign's range (one every TARGET_TTL_S to re-read its URLs);
    otherwise one (two more when the campaign is new to this process)."""
    now = time.monotonic()
    entry = _cache.by_recipient(recipient_id)
    if entry is None:
        campaign_id = _campaign_of(recipient_id)
        if campaign_id is None:
            return None
        entry = _cache.by_campaign(campaign_id)
    else:
        campaign_id = entry.campaign_id
    if entry is None or entry.expires <= now:
        entry = _load(campaign_id, now, entry)
        _cache.put(entry)
    return entry
