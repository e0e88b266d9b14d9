"""Quiet hours: no campaign message reaches a recipient outside the shop's sending window (default
08:00–21:00) in the recipient's local time. The time zone is the contact's own when set, else every zone
`phonenumbers` gives the number — and then the strictest rule applies: the window must be open in all of
them. Recipients met in quiet hours at send time are held (queued, in no batch, counted in `held`) until
their window opens, when beat puts them into new batches."""

import json
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from phonenumbers import timezone as phone_timezones

from campaigns.models import Batch, Campaign, CampaignRecipient, Shop
from campaigns.services import sql
from campaigns.services.credits import shop_lock
from campaigns.services.dispatch import batches_dispatch_on_commit
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


def zones_for(phone: str, contact_zone: str = "") -> list[ZoneInfo]:
    """The recipient's time zones: the contact's own, else the number's (none when unknown: not held)."""
    names = (contact_zone,) if contact_zone and _zone(contact_zone) else _number_zones(phone)
    return [zone for zone in map(_zone, names) if zone is not None]


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
    """(id, until) of the (id, phone, contact zone) rows now in the shop's quiet hours (none when quiet
    hours are not enforced, or the shop's window is open all day: start == end)."""
    at, start, end = now(), shop.quiet_hours_start, shop.quiet_hours_end
    if not settings.QUIET_HOURS_ENFORCED or start == end:
        return []
    held = []
    for rid, phone, zone in rows:
        until = held_until(zones=zones_for(phone, zone), at=at, start=start, end=end)
        if until is not None:
            held.append((rid, until))
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
