"""Per-message checks of the simulator: is the destination a valid E.164 number, is the sender allowed.

Validity comes from `phonenumbers`, which costs ~20 µs a number. To stay fast on millions of distinct
numbers, a verdict is cached per block of 1000 numbers (all but the last three digits) when three sample
numbers of the block agree (phone number plans decide validity by leading digits and length); a block
whose samples disagree is decided number by number.
"""

import re
from functools import lru_cache

import phonenumbers

INVALID_DESTINATION = "Invalid destination"
INVALID_SENDER = "Invalid sender"
_E164 = re.compile(r"\+[1-9]\d{6,14}").fullmatch
_ALPHANUMERIC_SENDER = re.compile(r"(?=[0-9 ]*[A-Za-z])[A-Za-z0-9 ]{3,11}").fullmatch
_NUMERIC_SENDER = re.compile(r"\d{3,16}").fullmatch
_SAMPLE_TAILS = ("000", "555", "999")


def destination_error(destination: str) -> str | None:
    """None for a number Mitto would take, else the reason it is rejected."""
    if not _E164(destination):
        return INVALID_DESTINATION
    verdict = _block_verdict(destination[:-3])
    if verdict is None:
        verdict = _is_valid(destination)
    return None if verdict else INVALID_DESTINATION


@lru_cache(maxsize=4096)
def sender_error(sender: str) -> str | None:
    """None for an alphanumeric (3-11, at least one letter) or numeric (3-16 digits) sender."""
    return None if _ALPHANUMERIC_SENDER(sender) or _NUMERIC_SENDER(sender) else INVALID_SENDER


@lru_cache(maxsize=1 << 16)
def _block_verdict(head: str) -> bool | None:
    verdicts = {_is_valid(head + tail) for tail in _SAMPLE_TAILS}
    return verdicts.pop() if len(verdicts) == 1 else None


@lru_cache(maxsize=1 << 16)
def _is_valid(number: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False
