"""Sending windows that the law makes stricter than a shop's own, by where the number is.

A recipient's window is the shop's narrowed to the law's (the later start, the earlier end), in the
recipient's local time. Where the two do not overlap, or the shop's window is open all day or spans
midnight, the law's window applies as it is: a shop's setting can make sending stricter, never looser.

The jurisdiction is read off the number: US states by area code (`1` + three digits, so the first four
digits after `+` decide, which is also the pre-flight's grouping). A contact's own time zone still decides
the local time; the area code decides which law applies. Extra area codes here only make sending stricter
for those numbers, so overlays are listed generously.
"""

from dataclasses import dataclass
from datetime import time

LAW_PREFIX_DIGITS = 4


@dataclass(frozen=True)
class LegalWindow:
    jurisdiction: str
    start: time
    end: time


FLORIDA = LegalWindow("Florida Telephone Solicitation Act: 8:00–20:00 local", time(8), time(20))
MARYLAND = LegalWindow("Maryland Stop the Spam Calls Act (2023): 8:00–20:00 local", time(8), time(20))

_AREA_CODES = {
    FLORIDA: ("239", "305", "321", "324", "352", "386", "407", "448", "561", "645", "656", "689", "727", "728",
              "754", "772", "786", "813", "850", "863", "904", "941", "954"),
    MARYLAND: ("227", "240", "301", "410", "443", "667"),
}
LAWS_BY_PREFIX = {f"1{code}": law for law, codes in _AREA_CODES.items() for code in codes}

Window = tuple[time, time]


def legal_window(phone: str) -> LegalWindow | None:
    """The law narrowing the window for this E.164 number, or None."""
    return LAWS_BY_PREFIX.get(phone[1 : 1 + LAW_PREFIX_DIGITS])


def recipient_window(start: time, end: time, phone: str) -> Window | None:
    """The (start, end) in which this number may be messaged, given the shop's window; None when it may be
    messaged at any hour (the shop's window is open all day and no law narrows it)."""
    law = legal_window(phone)
    if law is None:
        return None if start == end else (start, end)
    if start >= end:
        return law.start, law.end
    narrowed = max(start, law.start), min(end, law.end)
    return narrowed if narrowed[0] < narrowed[1] else (law.start, law.end)
