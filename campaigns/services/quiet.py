"""Quiet hours: no campaign message reaches a recipient outside the shop's sending window (default
08:00–21:00), narrowed where the law of the number's place is stricter (campaigns.services.quiet_laws), in
the recipient's local time. The time zone is the contact's own when set, else every zone
`phonenumbers` gives the number — and then the strictest rule applies: the window must be open in all of
them. Recipients met in quiet hours at send time are held (queued, in no batch, counted in `held`) until
their window opens, when beat puts them into new batches."""

import json
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from phonenumbers import timezone as phone_timezones
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from campaigns.models import Batch, Campaign, CampaignRecipient, Shop
from campaigns.services import sql
from campaigns.services.credits import shop_lock
from campaigns.services.dispatch import batches_dispatch_on_commit
from campaigns.services.quiet_laws import LAW_PREFIX_DIGITS, Window, recipient_window
from metrics.services import metrics_apply

HELD = CampaignRecipient.HELD_BATCH_NO


def now() -> datetime:
    """The current time (one place for tests to move the clock)."""
    return timezone.now()


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=65536)
def _number_zones(phone: str) -> tuple[str, ...]:
    try:
        zones = phone_timezones.time_zones_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(zone for zone in zones if zone != phone_timezones.UNKNOWN_TIMEZONE)


def zone_names(phone: str, contact_zone: str = "") -> tuple[str, ...]:
    """The recipient's time zone names: the contact's own, else the number's (none when unknown: not held).
    Where every valid number under the number's first GROUP_DIGITS digits (or its longest time-zone prefix)
    has the same zones, those are taken without parsing the number (most numbers: one dict lookup)."""
    if contact_zone and _zone(contact_zone):
        return (contact_zone,)
    for digits in (phone[1 : 1 + GROUP_DIGITS], phone[1 : 1 + TIMEZONE_LONGEST_PREFIX]):
        lists = _prefix_zone_lists(digits)
        if lists is not None and len(lists) == 1:
            return next(iter(lists))
    return _number_zones(phone)


def zones_for(phone: str, contact_zone: str = "") -> list[ZoneInfo]:
    return [zone for zone in map(_zone, zone_names(phone, contact_zone)) if zone is not None]


def _open_in(zone: ZoneInfo, at: datetime, start: time, end: time) -> bool:
    local = at.astimezone(zone).time()
    return start <= local < end if start < end else (local >= start or local < end)


def _next_start(zone: ZoneInfo, at: datetime, start: time) -> datetime:
    local = at.astimezone(zone)
    opening = datetime.combine(local.date(), start, tzinfo=zone)
    return opening if opening > local else datetime.combine(local.date() + timedelta(days=1), start, tzinfo=zone)


def held_until(*, zones: list[ZoneInfo], at: datetime, start: time, end: time) -> datetime | None:
    """None when the window is open in every zone at `at`; else when it next opens in all of them (the
    latest next opening among the closed zones; checked again at release, so a gap is held once more)."""
    closed = [zone for zone in zones if not _open_in(zone, at, start, end)]
    if not closed:
        return None
    return max(_next_start(zone, at, start) for zone in closed).astimezone(UTC)


def recipients_hold(*, held: list[tuple[int, datetime]]) -> int:
    """Hold these queued recipients of a batch until their times: out of their batch (batch_no HELD) — one
    UPDATE, in the caller's transaction, which moves the `held` counter by the returned count."""
    if not held:
        return 0
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE campaigns_campaignrecipient SET batch_no = %s, held_until = %s WHERE id = %s"
                " AND status = 'queued'", [(HELD, until, rid) for rid, until in held],
            )
        return CampaignRecipient.objects.filter(id__in=[rid for rid, _ in held], batch_no=HELD).count()
    rows = json.dumps([{"id": rid, "until": until.isoformat()} for rid, until in held])
    sql = """
        UPDATE campaigns_campaignrecipient AS r SET batch_no = %s, held_until = v.until
        FROM json_to_recordset(%s::json) AS v(id bigint, until timestamptz)
        WHERE r.id = v.id AND r.status = 'queued'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [HELD, rows])
        return cursor.rowcount


def recipients_to_hold(*, shop: Shop, rows: list[tuple[int, str, str]]) -> list[tuple[int, datetime]]:
    """(id, until) of the (id, phone, contact zone) rows now outside their window: the shop's, narrowed by
    the law of the number's place (none held when quiet hours are not enforced; a shop window open all day
    holds only numbers a law covers)."""
    if not settings.QUIET_HOURS_ENFORCED:
        return []
    at, start, end = now(), shop.quiet_hours_start, shop.quiet_hours_end
    held, until_of = [], {}
    for rid, phone, zone in rows:
        window = recipient_window(start, end, phone)
        if window is None:
            continue
        key = (zone_names(phone, zone), window)
        if key not in until_of:  # a batch spans few zone lists and windows: each decided once
            zones = [z for z in map(_zone, key[0]) if z]
            until_of[key] = held_until(zones=zones, at=at, start=window[0], end=window[1])
        if until_of[key] is not None:
            held.append((rid, until_of[key]))
    return held


_RELEASE_SQL = """
    WITH due AS (
        SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS n FROM campaigns_campaignrecipient
        WHERE campaign_id = %s AND batch_no = %s AND status = 'queued' AND held_until <= %s
    )
    UPDATE campaigns_campaignrecipient SET batch_no = %s + due.n, held_until = NULL
    FROM due WHERE campaigns_campaignrecipient.id = due.id
"""


def _release_campaign(*, campaign_id: int, at: datetime, batch_size: int) -> int:
    """One campaign's due held recipients numbered into new batches after its last one; counters moved;
    the batches dispatched after commit. The shop is locked first, as by every writer of its campaigns."""
    with transaction.atomic():
        shop_id = Campaign.objects.filter(id=campaign_id).values_list("shop_id", flat=True).first()
        shop_lock(shop_id=shop_id)
        if not Campaign.objects.filter(id=campaign_id, status=Campaign.Status.SENDING).exists():
            return 0
        last = Batch.objects.filter(campaign_id=campaign_id).order_by("-number").values_list("number", flat=True)
        base = (last.first() or 0) + 1
        with connection.cursor() as cursor:
            cursor.execute(_RELEASE_SQL, [batch_size, campaign_id, HELD, at, base])
            released = cursor.rowcount
        if released < 0:  # SQLite does not count the rows of an UPDATE inside WITH
            released = CampaignRecipient.objects.filter(campaign_id=campaign_id, batch_no__gte=base).count()
        if released:
            sql.batches_create_from(campaign_id=campaign_id, first=base, now=timezone.now())
            metrics_apply(campaign_id=campaign_id, deltas={"held": -released})
            batches_dispatch_on_commit(campaign_id=campaign_id)
    return released


def held_recipients_release() -> dict:
    """Beat: held recipients of sending campaigns whose window has opened go into new batches, which are
    dispatched. Returns {campaign id: released}."""
    at = now()
    campaigns = (
        CampaignRecipient.objects.filter(batch_no=HELD, status="queued", held_until__lte=at,
                                         campaign__status=Campaign.Status.SENDING)
        .values_list("campaign_id", flat=True).distinct()
    )
    released = {cid: _release_campaign(campaign_id=cid, at=at, batch_size=settings.SMS_BATCH_SIZE)
                for cid in list(campaigns)}
    return {cid: n for cid, n in released.items() if n}


# --- Pre-flight: how many of an audience are in quiet hours now, without a Python pass per contact. ---
#
# phonenumbers gives a valid number the zones of the longest TIMEZONE_DATA prefix of its digits when its type
# is geographic (fixed line, most mobiles of a few countries), else the zones of its country code. So every
# number starting with some digits D has one of a few zone lists: its country's, the longest entry at or above
# D, or an entry under D. When all of them agree on "held now", so do all the numbers under D, whatever
# their type: counted by D alone. Only where they disagree (a multi-zone country at an hour its zones straddle
# the window's edge) is each number looked at, with the same function the send path uses.

GROUP_DIGITS = 4
assert GROUP_DIGITS >= LAW_PREFIX_DIGITS, "a pre-flight group must decide which law applies"
STREAM_CHUNK = 5000


def _known(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(name for name in names if name != phone_timezones.UNKNOWN_TIMEZONE)


def _longest_entry(digits: str) -> tuple[str, ...]:
    for length in range(min(len(digits), TIMEZONE_LONGEST_PREFIX), 0, -1):
        if digits[:length] in TIMEZONE_DATA:
            return _known(TIMEZONE_DATA[digits[:length]])
    return ()


@lru_cache(maxsize=65536)
def _prefix_zone_lists(digits: str) -> frozenset[tuple[str, ...]] | None:
    """Every zone list phonenumbers may give a valid number whose digits (after '+') start with `digits`;
    None when `digits` is not all digits or names no country."""
    if not digits.isdigit():
        return None
    country = next((digits[:n] for n in (1, 2, 3) if int(digits[:n]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE), None)
    if country is None or len(digits) < len(country):
        return None
    lists = {_longest_entry(country), _longest_entry(digits)}
    if len(digits) < TIMEZONE_LONGEST_PREFIX:
        lists.update(_known(zones) for prefix, zones in TIMEZONE_DATA.items()
                     if len(prefix) > len(digits) and prefix.startswith(digits))
    return frozenset(lists)


class _HeldNow:
    """Whether a zone list, a contact's zone or a phone prefix is outside a window at one moment (cached)."""

    def __init__(self, at: datetime):
        self.at = at
        self._lists: dict[tuple[tuple[str, ...], Window], bool] = {}
        self._prefixes: dict[tuple[str, Window], bool | None] = {}

    def zones(self, names: tuple[str, ...], window: Window) -> bool:
        if (names, window) not in self._lists:
            zones = [zone for zone in map(_zone, names) if zone is not None]
            self._lists[names, window] = any(not _open_in(zone, self.at, *window) for zone in zones)
        return self._lists[names, window]

    def prefix(self, digits: str, window: Window) -> bool | None:
        """True/False for every valid number under `digits`; None when it depends on the number."""
        if (digits, window) not in self._prefixes:
            lists = _prefix_zone_lists(digits)
            decisions = {self.zones(names, window) for names in lists} if lists else set()
            self._prefixes[digits, window] = decisions.pop() if len(decisions) == 1 else None
        return self._prefixes[digits, window]

    def contact(self, phone: str, contact_zone: str, window: Window) -> bool:
        """Exactly what recipients_to_hold decides for this row."""
        if contact_zone and _zone(contact_zone):
            return self.zones((contact_zone,), window)
        decided = self.prefix(phone[1 : 1 + TIMEZONE_LONGEST_PREFIX], window)
        return decided if decided is not None else self.zones(_number_zones(phone), window)


def audience_held_now(*, shop: Shop, tags: Sequence[str], cap_since: datetime | None) -> int:
    """How many of the contacts an enqueue now would message are outside their window at this moment, so
    that a batch sent now would hold them (recipients_to_hold decides each the same way). One GROUP BY of
    the audience by contact zone and first GROUP_DIGITS phone digits (which also name the law that applies)
    settles almost every contact; only the groups whose numbers can fall on both sides of the window (see
    above) are streamed through a server-side cursor and looked at per number, with per-prefix caches. 0 when
    quiet hours are not enforced."""
    if not settings.QUIET_HOURS_ENFORCED:
        return 0
    start, end = shop.quiet_hours_start, shop.quiet_hours_end
    held_now, held, undecided = _HeldNow(now()), 0, set()
    audience = {"shop_id": shop.id, "tags": tags, "cap_since": cap_since}
    for contact_zone, digits, count in sql.audience_zone_groups(**audience, digits=GROUP_DIGITS):
        window = recipient_window(start, end, f"+{digits}")
        if window is None:
            continue
        if contact_zone and _zone(contact_zone):
            held += count * held_now.zones((contact_zone,), window)
            continue
        decided = held_now.prefix(digits, window)
        if decided is None:
            undecided.add(digits)
        else:
            held += count * decided
    if undecided:
        streamed = sql.audience_phones_streamed(
            **audience, digits=GROUP_DIGITS, prefixes=sorted(undecided), chunk=STREAM_CHUNK
        )
        for rows in streamed:
            held += sum(held_now.contact(phone, contact_zone, recipient_window(start, end, phone))
                        for contact_zone, phone in rows if not (contact_zone and _zone(contact_zone)))
    return held
