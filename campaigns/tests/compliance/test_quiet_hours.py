"""Quiet hours' rules (compliance/quiet_hours.py): when a window is open, and a number's time zones."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from campaigns.services.compliance import quiet_hours as quiet

pytestmark = pytest.mark.django_db

ATHENS, NEW_YORK = ZoneInfo("Europe/Athens"), ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def enforced(settings, monkeypatch, no_dispatch):
    settings.QUIET_HOURS_ENFORCED = True


def test_the_window_is_open_only_between_start_and_end_in_every_zone():
    start, end = time(8), time(21)
    morning = datetime(2026, 6, 1, 9, 0, tzinfo=ATHENS)
    assert quiet.held_until(zones=[ATHENS], at=morning, start=start, end=end) is None
    # 09:00 in Athens is 02:00 in New York: the strictest zone holds it until 08:00 New York time.
    assert quiet.held_until(zones=[ATHENS, NEW_YORK], at=morning, start=start, end=end) == datetime(
        2026, 6, 1, 8, 0, tzinfo=NEW_YORK
    )
    late = datetime(2026, 6, 1, 23, 0, tzinfo=ATHENS)
    assert quiet.held_until(zones=[ATHENS], at=late, start=start, end=end) == datetime(
        2026, 6, 2, 8, 0, tzinfo=ATHENS
    )


def test_zones_come_from_the_contact_else_the_number():
    assert quiet.zones_for("+306912345678") == [ATHENS]
    assert quiet.zones_for("+12125551234") == [NEW_YORK]
    assert quiet.zones_for("+306912345678", "America/New_York") == [NEW_YORK]
    assert quiet.zones_for("+306912345678", "Not/AZone") == [ATHENS]


def test_zones_read_off_the_prefix_equal_the_parsed_numbers_zones():
    """The shortcut (zones shared by every number under a prefix) gives what parsing each number gives, for
    an example number of every type of every region phonenumbers knows."""
    checked = 0
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in phonenumbers.PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None or not phonenumbers.is_valid_number(example):
                continue
            phone = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            assert quiet.zone_names(phone) == quiet._number_zones(phone), (region, kind, phone)
            checked += 1
    assert checked > 1000
