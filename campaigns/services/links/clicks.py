"""Clicks, recorded off the redirect's path: clicks are appended to a Redis stream; a periodic task
drains the stream and writes its clicks set-based (`clicks_apply`). Without Redis (the embedded demo), or when
Redis cannot be reached, the click is written at once, one click through the same rules.

The redirect waits for neither: it hands the click to this process's outbox (`outbox.Outbox`), whose thread
appends the clicks of the last OUTBOX_WAIT_S (at most OUTBOX_BATCH) to the stream as one entry, one round trip,
each click carrying its own time (few entries to read back: the flush's cost is the database's). When that fails
the outbox writes its clicks at once.

Bot clicks (link previewers, security scanners) are counted apart and never set a recipient's `clicked_at`:
a known user agent or a HEAD request (flagged by the redirect), or a click within LINK_BOT_CLICK_SECONDS of
the message's send or delivery (decided when written, where those times are known).

Lock order (campaigns.services.locks): recipients → counters (the link stats row).
"""

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from campaigns.models import CampaignLinkStats, CampaignRecipient, LinkClick
from campaigns.services.links.outbox import Outbox

logger = logging.getLogger(__name__)

# User agents of link previewers, chat unfurlers, crawlers and mail/SMS security scanners.
_BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|facebot|whatsapp|telegram|slack|discord|skypeuri|"
    r"embedly|vkshare|pinterest|headless|phantomjs|scanner|proofpoint|mimecast|barracuda|urldefense|"
    r"curl/|wget/|go-http-client|python-urllib|okhttp|java/|libwww|httpclient",
    re.IGNORECASE,
)
FLUSH_BATCH = 10_000  # clicks per statement
FLUSH_ENTRIES = 1_000  # stream entries per read (each up to OUTBOX_BATCH clicks)
OUTBOX_BATCH, OUTBOX_WAIT_S = 500, 0.05  # clicks per stream entry, and the longest a click waits for its entry
KEY_EPOCH_MS = 1_735_689_600_000  # 2025-01-01: clicks' keys count milliseconds from here


@dataclass(frozen=True, slots=True)
class Click:
    key: int
    recipient_id: int
    position: int
    clicked_at: datetime
    flagged: bool  # known bot agent or HEAD


def is_bot_request(*, user_agent: str, method: str) -> bool:
    """A link previewer's or scanner's request: HEAD, no user agent, or a known bot agent."""
    return method == "HEAD" or not user_agent.strip() or bool(_BOT_AGENTS.search(user_agent))


def stream_key() -> str:
    return f"{settings.SMS_KEY_PREFIX}:links:clicks"


_clients: dict[str, redis.Redis] = {}


def _redis() -> redis.Redis | None:
    """This process's client of the configured Redis (None without one), made once per URL."""
    url = settings.REDIS_URL
    if not url:
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return _clients[url]


def _stream_add(values: list[str]) -> None:
    """Append clicks to the stream as one entry (one round trip); with Redis unreachable, write them at once (from
    the outbox's thread: a database connection of its own, closed after)."""
    try:
        client = _redis()
        if client is None:
            raise redis.ConnectionError("REDIS_URL is no longer set")
        client.xadd(stream_key(), {"c": ",".join(values)})
    except (RedisError, OSError) as exc:
        logger.warning("click buffer unavailable (%s): %d clicks written directly", type(exc).__name__, len(values))
        clicks_apply(clicks=_entry_clicks(None, {b"c": ",".join(values).encode()})[0])
        if threading.current_thread() is not threading.main_thread():
            connection.close()


_outbox = Outbox(_stream_add, batch=OUTBOX_BATCH, wait_s=OUTBOX_WAIT_S)


def clicks_outbox_drain() -> None:
    """Put this process's clicks not yet in the stream there now (before reading the stream in this process)."""
    _outbox.drain()


def click_record(*, recipient_id: int, position: int, flagged: bool) -> None:
    """Record one click of a recipient's link without waiting on the database or on Redis: handed to this
    process's outbox, which appends it to the click stream within OUTBOX_WAIT_S. Without Redis the click is
    written now."""
    if _redis() is None:
        clicks_apply(clicks=[Click(_direct_key(), recipient_id, position, timezone.now(), flagged)])
        return
    _outbox.put(f"{recipient_id}:{position}:{int(flagged)}:{int(time.time() * 1000)}")


def _direct_key() -> int:
    """The key of a click written without the stream: random and negative (stream keys are positive)."""
    return -(uuid.uuid4().int >> 66)


def entry_key(entry_id: bytes, index: int = 0) -> int:
    """The key of the `index`th click of stream entry `<ms>-<seq>`, one number in the same order: milliseconds
    since KEY_EPOCH_MS (41 bits, until 2094), seq (10 bits: below 1024 entries per millisecond), index (12 bits)."""
    milliseconds, sequence = (int(part) for part in entry_id.split(b"-"))
    if not (0 <= milliseconds - KEY_EPOCH_MS < 1 << 41 and sequence < 1 << 10 and index < 1 << 12):
        raise ValueError(f"no click key for entry {entry_id!r} index {index}")
    return ((milliseconds - KEY_EPOCH_MS) << 22) | (sequence << 12) | index


def _entry_clicks(entry_id: bytes | None, fields: dict) -> tuple[list[Click], int]:
    """The clicks of a stream entry, `recipient:position:flagged:ms` items joined by commas (an item without ms
    has the entry's time), and how many items it holds; a malformed item is logged and skipped. Without an
    entry id (clicks that never reached the stream) each click gets a direct key."""
    items = fields.get(b"c", b"").split(b",")
    clicks = []
    for index, item in enumerate(items):
        try:
            recipient_id, position, flagged, *ms = item.split(b":")
            ms = int(ms[0]) if ms else int(entry_id.split(b"-")[0])
            key = entry_key(entry_id, index) if entry_id is not None else _direct_key()
            clicks.append(Click(key, int(recipient_id), int(position), datetime.fromtimestamp(ms / 1000, tz=UTC),
                                flagged == b"1"))
        except (AttributeError, ValueError):
            logger.warning("click stream entry %s item %d is malformed: skipped", entry_id, index)
    return clicks, len(items)


def clicks_flush(*, limit: int = 1_000_000) -> int:
    """Drain the click stream into the database, FLUSH_ENTRIES entries at a time: their clicks written
    FLUSH_BATCH per transaction, then the entries trimmed; a crash in between writes them again, which the
    clicks' keys make a no-op. Returns the clicks read (stopping after about `limit`). Runs alone (beat's lock)."""
    client = _redis()
    if client is None:
        return 0
    clicks_outbox_drain()
    done = 0
    while done < limit:
        entries = client.xrange(stream_key(), count=FLUSH_ENTRIES)
        if not entries:
            break
        clicks = []
        for entry_id, fields in entries:
            entry, items = _entry_clicks(entry_id, fields)
            clicks += entry
            done += items
        for start in range(0, len(clicks), FLUSH_BATCH):
            clicks_apply(clicks=clicks[start:start + FLUSH_BATCH])
        last_ms, last_seq = entries[-1][0].decode().split("-")
        client.xtrim(stream_key(), minid=f"{last_ms}-{int(last_seq) + 1}")
        if len(entries) < FLUSH_ENTRIES:
            break
    return done


_APPLY_SQL = """
WITH c (key, recipient_id, position, clicked_at, flagged) AS (
    SELECT * FROM unnest(%(keys)s::bigint[], %(recipients)s::bigint[], %(positions)s::smallint[],
                         %(times)s::timestamptz[], %(flags)s::boolean[])
),
inserted AS (
    INSERT INTO campaigns_linkclick (key, campaign_id, recipient_id, position, clicked_at, is_bot)
    SELECT c.key, r.campaign_id, c.recipient_id, c.position, c.clicked_at,
           c.flagged OR COALESCE(c.clicked_at < r.sent_at + %(bot)s, FALSE)
                     OR COALESCE(c.clicked_at BETWEEN r.delivered_at - %(bot)s AND r.delivered_at + %(bot)s, FALSE)
    FROM c JOIN campaigns_campaignrecipient r ON r.id = c.recipient_id
    ON CONFLICT (key) DO NOTHING
    RETURNING campaign_id, recipient_id, clicked_at, is_bot
),
firsts AS (
    SELECT recipient_id, min(clicked_at) AS at FROM inserted WHERE NOT is_bot GROUP BY recipient_id
),
marked AS (
    UPDATE campaigns_campaignrecipient r SET clicked_at = f.at
    FROM firsts f WHERE r.id = f.recipient_id AND r.clicked_at IS NULL
    RETURNING r.campaign_id
),
moved AS (
    SELECT campaign_id, count(*) FILTER (WHERE NOT is_bot) AS clicks, 0 AS uniques,
           count(*) FILTER (WHERE is_bot) AS bots, max(clicked_at) FILTER (WHERE NOT is_bot) AS last
    FROM inserted GROUP BY campaign_id
    UNION ALL
    SELECT campaign_id, 0, count(*), 0, NULL FROM marked GROUP BY campaign_id
)
INSERT INTO campaigns_campaignlinkstats AS s (campaign_id, clicks, unique_clicks, bot_clicks, last_click_at)
SELECT campaign_id, sum(clicks), sum(uniques), sum(bots), max(last) FROM moved GROUP BY campaign_id
ON CONFLICT (campaign_id) DO UPDATE SET
    clicks = s.clicks + EXCLUDED.clicks, unique_clicks = s.unique_clicks + EXCLUDED.unique_clicks,
    bot_clicks = s.bot_clicks + EXCLUDED.bot_clicks,
    last_click_at = GREATEST(s.last_click_at, EXCLUDED.last_click_at)
"""


def clicks_apply(*, clicks: list[Click]) -> None:
    """Write `clicks` in one statement: the Click rows (a key seen before is skipped, a recipient that no longer
    exists dropped), bot clicks decided, each recipient's first human click kept in `clicked_at`, and the
    campaigns' counters moved by the rows actually inserted."""
    if not clicks:
        return
    if connection.vendor != "postgresql":
        for click in clicks:
            _apply_one_portable(click)
        return
    params = {
        "keys": [c.key for c in clicks], "recipients": [c.recipient_id for c in clicks],
        "positions": [c.position for c in clicks], "times": [c.clicked_at for c in clicks],
        "flags": [c.flagged for c in clicks], "bot": timedelta(seconds=settings.LINK_BOT_CLICK_SECONDS),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Each click finds its recipient by primary key (a nested loop of index probes): a merge or hash join
        # would read every recipient of the table for a batch of a few thousand.
        cursor.execute("SET LOCAL enable_mergejoin = off; SET LOCAL enable_hashjoin = off")
        cursor.execute(_APPLY_SQL, params)
        cursor.execute("SET LOCAL enable_mergejoin = DEFAULT; SET LOCAL enable_hashjoin = DEFAULT")


def _near(at: datetime, moment: datetime | None) -> bool:
    return moment is not None and abs(at - moment) <= timedelta(seconds=settings.LINK_BOT_CLICK_SECONDS)


def _apply_one_portable(click: Click) -> None:
    """The same rules for one click on the embedded database (SQLite), in a few statements."""
    with transaction.atomic():
        recipient = CampaignRecipient.objects.filter(id=click.recipient_id).values(
            "campaign_id", "sent_at", "delivered_at").first()
        if recipient is None or LinkClick.objects.filter(key=click.key).exists():
            return
        sent_at = recipient["sent_at"]
        bot = click.flagged or (sent_at is not None and click.clicked_at < sent_at + timedelta(
            seconds=settings.LINK_BOT_CLICK_SECONDS)) or _near(click.clicked_at, recipient["delivered_at"])
        campaign_id = recipient["campaign_id"]
        LinkClick.objects.create(key=click.key, campaign_id=campaign_id, recipient_id=click.recipient_id,
                                 position=click.position, clicked_at=click.clicked_at, is_bot=bot)
        first = 0 if bot else CampaignRecipient.objects.filter(
            id=click.recipient_id, clicked_at__isnull=True).update(clicked_at=click.clicked_at)
        stats, _ = CampaignLinkStats.objects.select_for_update().get_or_create(campaign_id=campaign_id)
        stats.clicks += 0 if bot else 1
        stats.bot_clicks += 1 if bot else 0
        stats.unique_clicks += first
        if not bot and (stats.last_click_at is None or click.clicked_at > stats.last_click_at):
            stats.last_click_at = click.clicked_at
        stats.save()
