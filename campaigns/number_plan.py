"""What phonenumbers' own metadata says about every number under a North American (+1) area code, read
once from its number patterns instead of parsing each number.

phonenumbers gives a valid number the zones of its longest time-zone prefix only when its type is
geographic (fixed line, or fixed line or mobile); any other type (toll-free, premium, personal, a
mobile-only pattern) gets the country's whole zone list. So an area code under which no pattern of a
non-geographic type can match is one where every valid number has its prefix's zones, and quiet hours
may read them off the prefix. Whether a pattern can match a number starting with some digits is worked
out from the pattern's parse tree (the strings of that length its matches can begin with); a pattern this
cannot read counts as "may match", so the answer errs toward parsing.
"""

import re
from functools import lru_cache
from re import _constants as sre  # the standard library's own regex parser (3.11+; sre_parse is its old alias)
from re import _parser as sre_parse

import phonenumbers
from phonenumbers import PhoneMetadata

NANP = 1
AREA_CODE_DIGITS = 3
DIGITS = frozenset("0123456789")
# Types phonenumbers does not call geographic (mobile is added where a region's mobile pattern differs).
NON_GEOGRAPHIC = ("toll_free", "premium_rate", "shared_cost", "voip", "personal_number", "pager", "uan",
                  "voicemail")


class _Unreadable(Exception):
    """A pattern construct the head computation does not model."""


def _class_chars(items) -> set[str]:
    chars, negate = set(), False
    for op, av in items:
        if op == sre.NEGATE:
            negate = True
        elif op == sre.LITERAL:
            chars.add(chr(av))
        elif op == sre.RANGE:
            chars.update(chr(code) for code in range(av[0], av[1] + 1))
        elif op == sre.CATEGORY and av == sre.CATEGORY_DIGIT:
            chars.update(DIGITS)
        else:
            raise _Unreadable(op)
    return (DIGITS - chars) if negate else chars


def _item_heads(op, av, n: int) -> set[str]:
    if op == sre.LITERAL:
        return {chr(av)}
    if op == sre.IN:
        return _class_chars(av)
    if op == sre.CATEGORY and av == sre.CATEGORY_DIGIT or op == sre.ANY:
        return set(DIGITS)
    if op == sre.BRANCH:
        return set().union(*(_heads(branch, n) for branch in av[1]))
    if op == sre.SUBPATTERN:
        return _heads(av[-1], n)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        low, high, body = av
        body_heads = _heads(body, n)
        if "" in body_heads:
            raise _Unreadable("a repeat that may match nothing")
        found, current = set(), {""}
        for count in range(min(high, n) + 1):
            if count >= low or all(len(text) >= n for text in current):
                found |= current
            if all(len(text) >= n for text in current):
                break
            current = {(text + head)[:n] for text in current for head in body_heads}
        return found
    if op == sre.AT:
        return {""}
    raise _Unreadable(op)


def _heads(items, n: int) -> set[str]:
    """Every string a match of the parsed sequence can begin with, cut to n characters (shorter: a whole match)."""
    current = {""}
    for op, av in items:
        if all(len(text) >= n for text in current):
            break
        extensions = _item_heads(op, av, n)
        current = {(text + extension)[:n] if len(text) < n else text for text in current for extension in extensions}
    return current


@lru_cache(maxsize=1024)
def pattern_heads(pattern: str, n: int) -> frozenset[str] | None:
    """The n-character strings a full match of `pattern` can begin with; None when the pattern is unreadable."""
    try:
        return frozenset(head for head in _heads(sre_parse.parse(pattern), n) if len(head) == n)
    except (_Unreadable, re.error, RecursionError):
        return None


def _non_geographic_patterns(region: str) -> list[str]:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return [".*"]
    descs = [getattr(metadata, name, None) for name in NON_GEOGRAPHIC]
    fixed, mobile = metadata.fixed_line, metadata.mobile
    if mobile is not None and not metadata.same_mobile_and_fixed_line_pattern and (
            fixed is None or mobile.national_number_pattern != fixed.national_number_pattern):
        descs.append(mobile)
    return [desc.national_number_pattern for desc in descs if desc is not None and desc.national_number_pattern]


@lru_cache(maxsize=1)
def _non_geographic_area_codes() -> frozenset[str]:
    """Every area code under which some +1 region's non-geographic (or mobile-only) pattern may match."""
    codes: set[str] = set()
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[NANP]:
        for pattern in _non_geographic_patterns(region):
            heads = pattern_heads(pattern, AREA_CODE_DIGITS)
            if heads is None:
                return frozenset({"*"})  # unreadable: no area code is known to be geographic only
            codes |= heads
    return frozenset(codes)


def nanp_geographic_only(area_code: str) -> bool:
    """True when every valid +1 number under this 3-digit area code has a geographic type (its zones are its
    prefix's); False when some may not, or when that cannot be told."""
    codes = _non_geographic_area_codes()
    return len(area_code) == AREA_CODE_DIGITS and area_code.isdigit() and "*" not in codes and area_code not in codes
