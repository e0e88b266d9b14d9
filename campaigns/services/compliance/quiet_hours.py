"""Quiet hours: no campaign message reaches a recipient outside the shop's sending window (default
08:00–21:00), narrowed where the law of the number's place is stricter (`quiet_laws`), in
the recipient's local time. The time zone is the contact's own when set, else every zone
`phonenumbers` gives the number — and then the strictest rule applies: the window must be open in all of
them. Recipients met in quiet hours at send time are held (queued, in no batch, counted in `held`) until
their window opens, when beat puts them into new batches: sending/exclusions.py and sending/held_release.py
do that writing, audience/quiet_count.py the pre-flight's count; this module only decides."""

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from django.utils import timezone
from phonenumbers import timezone as phone_timezones
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from campaigns.models import Shop
from campaigns.number_plan import nanp_geographic_only
from campaigns.services.compliance.quiet_laws import LAW_PREFIX_DIGITS, Window, recipient_window


def now() -> datetime:
    """The current time (one place for tests to move the clock)."""
    return timezone.now()


@lru_cache(maxsize=512)
def zone_info(name: str) -> ZoneInfo | None:
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
    if contact_zone and zone_info(contact_zone):
        return (contact_zone,)
    for digits in (phone[1 : 1 + GROUP_DIGITS], phone[1 : 1 + TIMEZONE_LONGEST_PREFIX]):
        lists = _prefix_zone_lists(digits)
        if lists is not None and len(lists) == 1:
            return next(iter(lists))
    return _number_zones(phone)


def zones_for(phone: str, contact_zone: str = "") -> list[ZoneInfo]:
    return [zone for zone in map(zone_info, zone_names(phone, contact_zone)) if zone is not None]


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
            zones = [z for z in map(zone_info, key[0]) if z]
            until_of[key] = held_until(zones=zones, at=at, start=window[0], end=window[1])
        if until_of[key] is not None:
            held.append((rid, until_of[key]))
    return held


# --- Deciding for a whole prefix at once (the pre-flight, audience/quiet_count.py, counts by it). ---
#
# phonenumbers gives a valid number the zones of the longest TIMEZONE_DATA prefix of its digits when its type
# is geographic (fixed line, most mobiles of a few countries), else the zones of its country code. So every
# number starting with some digits D has one of a few zone lists: its country's, the longest entry at or above
# D, or an entry under D. When all of them agree on "held now", so do all the numbers under D, whatever
# their type: counted by D alone. Only where they disagree (a multi-zone country at an hour its zones straddle
# the window's edge) is each number looked at, with the same function the send path uses.

GROUP_DIGITS = 4
assert GROUP_DIGITS >= LAW_PREFIX_DIGITS, "a pre-flight group must decide which law applies"


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
    lists = {_longest_entry(digits)}
    if not (country == "1" and nanp_geographic_only(digits[1:4])):  # the country's zones: non-geographic types
        lists.add(_longest_entry(country))
    if len(digits) < TIMEZONE_LONGEST_PREFIX:
        lists.update(_known(zones) for prefix, zones in TIMEZONE_DATA.items()
                     if len(prefix) > len(digits) and prefix.startswith(digits))
    return frozenset(lists)


class HeldNow:
    """Whether a zone list, a contact's zone or a phone prefix is outside a window at one moment (cached)."""

    def __init__(self, at: datetime):
        self.at = at
        self._lists: dict[tuple[tuple[str, ...], Window], bool] = {}
        self._prefixes: dict[tuple[str, Window], bool | None] = {}

    def zones(self, names: tuple[str, ...], window: Window) -> bool:
        if (names, window) not in self._lists:
            zones = [zone for zone in map(zone_info, names) if zone is not None]
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
        if contact_zone and zone_info(contact_zone):
            return self.zones((contact_zone,), window)
        decided = self.prefix(phone[1 : 1 + TIMEZONE_LONGEST_PREFIX], window)
        return decided if decided is not None else self.zones(_number_zones(phone), window)
