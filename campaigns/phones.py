"""Phone numbers: anything a merchant typed, normalised to E.164 or refused with a reason they can act on."""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from campaigns.fields import text_clean

# Longer than any real number written with spaces and punctuation; refuses megabyte strings before parsing.
MAX_INPUT_LENGTH = 32
# How a written number may begin: a digit, or one `+` before its country code, with an opening bracket around
# either ("+30 691…", "(212) 555…", "(+30) 691…", "+(30)…"). phonenumbers itself skips any leading junk, so
# "++30…", "+-30…", "..30…" or "*30…" would be read as valid numbers: a typo or a mangled export, refused.
_WELL_FORMED_START = re.compile(r"\(?\+?\s?\(?\d")


class PhoneError(ValueError):
    """The text is not a phone number that can receive an SMS; the message says why."""


def phone_normalise(raw: object, *, region: str | None = None) -> str:
    """The number in E.164 (`+306912345678`). National numbers (no `+`) are read in `region`."""
    try:
        text = text_clean(raw, max_length=MAX_INPUT_LENGTH, allow_blank=False)
    except ValueError as exc:
        raise PhoneError(f"{exc} Write the number as text, such as +306912345678.") from exc
    if not _WELL_FORMED_START.match(text) or text.count("+") > 1:
        raise PhoneError(f"'{text}' is not a phone number as written: it must start with a digit or a "
                         "single + before the country code (such as +306912345678).")
    region = (region or "").upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise PhoneError(_parse_error_text(text, region, exc)) from exc
    if number.extension:
        raise PhoneError(f"'{text}' has an extension; an SMS needs the number alone.")
    if not phonenumbers.is_valid_number(number):
        where = f" in region {region}" if region and not text.startswith("+") else ""
        raise PhoneError(f"'{text}' is not a valid phone number{where}.")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse_error_text(text: str, region: str | None, exc: NumberParseException) -> str:
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and not text.startswith("+") and not region:
        return f"'{text}' has no country code and the shop has no default region; write it with +<country code>."
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        return f"'{text}' has an unknown country code."
    return f"'{text}' is not a phone number."
