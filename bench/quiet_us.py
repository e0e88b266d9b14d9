"""US (+1) quiet hours at send time (DESIGN.md: ≥ 0.8× the same send with quiet hours off): N contacts spread
over area codes of the four mainland zones, a shop window chosen to be open in all of them for the whole run,
sent once by a worker with quiet hours off, then once with them on (every number's zone worked out, none held)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones

from bench.drive import ShopApi
from bench.fixtures import contacts_create, shop_create
from bench.report import Figure
from bench.sending import alive_check, send_campaign
from bench.stack import WORKER_PROCESSES, Stack

# Single-zone area codes of no state with a stricter legal window (campaigns' quiet_laws: Florida, Maryland),
# East to West: New York, New Jersey, Georgia, Ohio, Massachusetts / Illinois, Texas, Minnesota, Missouri /
# Colorado, Utah, Arizona (no DST) / California, Washington, Oregon, Nevada.
AREA_CODES = ("212", "201", "404", "614", "617", "312", "214", "612", "314", "303", "801", "602",
              "415", "213", "206", "503", "702")
MARGIN = timedelta(hours=2)
BUDGET_RATIO = 0.8


def zones_of(area_codes=AREA_CODES) -> set[str]:
    """Every zone phonenumbers gives the bench's numbers."""
    return {zone for code in area_codes
            for zone in phone_timezones.time_zones_for_number(phonenumbers.parse(f"+1{code}2000000"))}


def window_open_everywhere(zones: set[str], at: datetime) -> tuple[time, time]:
    """A shop window (local start, end) open in every zone from `at - MARGIN` to `at + MARGIN`: from the
    westernmost local time less the margin to the easternmost plus it (it may span midnight)."""
    local = [at.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for zone in zones]
    start, end = min(local) - MARGIN, max(local) + MARGIN
    return time(start.hour, start.minute), time(end.hour, end.minute)


def run(ctx) -> list[Figure]:
    from campaigns.models import Shop

    shop = shop_create(domain="us.bench.myshopify.com", credits=2 * ctx.size + 1000)
    start, end = window_open_everywhere(zones_of(), datetime.now(UTC))
    Shop.objects.filter(id=shop.id).update(quiet_hours_start=start, quiet_hours_end=end)
    contacts_create(shop_id=shop.id, consenting=ctx.size, area_codes=AREA_CODES)
    api = ShopApi(shop)
    outcomes = {}
    for enforced in (False, True):
        stack = Stack(ctx.env, ctx.profile_dir, f"quiet-{'on' if enforced else 'off'}")
        try:
            stack.simulator(delay_ms=0)
            stack.celery_worker(QUIET_HOURS_ENFORCED=str(enforced).lower())
            outcomes[enforced] = send_campaign(api, f"bench US quiet hours {'on' if enforced else 'off'}",
                                               timeout_s=120 + ctx.size / 500, check=alive_check(stack))
        finally:
            stack.close()
    (off_seconds, off_state), (on_seconds, on_state) = outcomes[False], outcomes[True]
    on_rate, off_rate = ctx.size / on_seconds, ctx.size / off_seconds
    all_sent = all(state.status == "completed" and state.sent == ctx.size for state in (off_state, on_state))
    return [Figure(
        key="quiet_us", work=f"send {ctx.size:,} US (+1) numbers ({len(AREA_CODES)} area codes, 4 zones), quiet "
        f"hours on, all inside their window, {WORKER_PROCESSES} workers",
        value=on_rate, unit="msg/s", baseline=off_rate, baseline_work="same send, quiet hours off",
        budget=f"≥ {BUDGET_RATIO}× quiet hours off", met=all_sent and on_rate >= BUDGET_RATIO * off_rate,
        details={"window": f"{start:%H:%M}-{end:%H:%M}", "on_seconds": on_seconds, "off_seconds": off_seconds,
                 "on_final": vars(on_state), "off_final": vars(off_state)},
    )]
