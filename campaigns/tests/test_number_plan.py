"""+1 numbers' zones read off the area code (campaigns.number_plan, used by quiet hours' zone_names): for every
+1 time-zone prefix, the numbers under it get exactly the zones parsing gives them, and the area codes where a
non-geographic type may match (toll-free, personal, mobile-only patterns) are still parsed."""

import phonenumbers
import pytest
from phonenumbers.tzdata import TIMEZONE_DATA

from campaigns.number_plan import nanp_geographic_only, pattern_heads
from campaigns.services.compliance import quiet_hours as quiet
from campaigns.services.compliance.quiet_hours import _number_zones, zone_names

EXCHANGE_STEP = 17  # every 17th exchange of each area code, and every exchange a longer zone prefix names
LINES = ("0000", "4821")


def nanp_examples() -> list[str]:
    """E.164 numbers under every +1 zone prefix of phonenumbers: sampled exchanges of each area code, each
    exchange named by a longer prefix, and each +1 region's example numbers."""
    phones = set()
    for prefix in TIMEZONE_DATA:
        if not prefix.startswith("1") or len(prefix) < 4:
            continue
        area, rest = prefix[1:4], prefix[4:]
        exchanges = [rest.ljust(3, "2")] if rest else [str(n) for n in range(200, 1000, EXCHANGE_STEP)]
        phones.update(f"+1{area}{exchange}{line}" for exchange in exchanges for line in LINES)
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]:
        for kind in phonenumbers.PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                phones.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return sorted(phones)


def test_every_plus_one_number_gets_the_zones_parsing_gives_it():
    quiet._prefix_zone_lists.cache_clear()
    examples = [phone for phone in nanp_examples() if phonenumbers.is_valid_number(phonenumbers.parse(phone))]
    assert len(examples) > 5_000
    wrong = [(phone, zone_names(phone), _number_zones(phone)) for phone in examples
             if zone_names(phone) != _number_zones(phone)]
    assert wrong == []


def test_geographic_area_codes_are_read_off_the_prefix_without_parsing(monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed")

    quiet._number_zones.cache_clear()
    monkeypatch.setattr(quiet.phonenumbers, "parse", no_parsing)
    assert zone_names("+12125550123") == ("America/New_York",)
    assert zone_names("+14155550123") == ("America/Los_Angeles",)
    assert zone_names("+16025550123") == ("America/Phoenix",)


@pytest.mark.parametrize("area_code", ["800", "888", "900", "500", "876"])
def test_area_codes_where_a_non_geographic_type_may_match_are_parsed(area_code):
    assert not nanp_geographic_only(area_code)


@pytest.mark.parametrize("area_code", ["201", "212", "312", "415", "787", "671"])
def test_geographic_area_codes(area_code):
    assert nanp_geographic_only(area_code)


def test_pattern_heads_reads_branches_classes_and_repeats():
    assert pattern_heads(r"8(?:00|33)[2-9]\d{6}", 3) == {"800", "833"}
    assert pattern_heads(r"5(?:2[1-3]|00)\d{7}", 4) == {f"5{middle}{digit}" for middle in ("21", "22", "23", "00")
                                                          for digit in "0123456789"}
    assert pattern_heads(r"(?=1)\d+", 3) is None  # a lookahead: unreadable, so "may match anything"
