"""Inbound SMS (replies forwarded by Mitto) parsed into a plain record, and opt-out keywords recognised.

Keyword rule: a message is a keyword only when the keyword is the whole message, in any case, with
surrounding whitespace ignored. "STOP" and " stop\\n" opt out; "stop please", "STOP." or "don't stop" do
not. A false opt-out silently loses a customer who wanted the messages, and carriers' own keyword
handling uses the same whole-message rule; anything else is left for a human to read.
"""

from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

from messaging.reports import MalformedPayload, first_present

Keyword = Literal["stop", "start", "help"]

KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(("stop", "unsubscribe", "cancel", "end", "quit", "stopall"), "stop"),
    **dict.fromkeys(("start", "unstop"), "start"),
    **dict.fromkeys(("help", "info"), "help"),
}
_LONGEST_KEYWORD = max(map(len, KEYWORDS))

SENDER_KEYS = ("from", "msisdn")
TEXT_KEYS = ("text", "message")


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """`sender` and `to` are E.164 when they parse as valid numbers, else as sent (e.g. a short code)."""

    sender: str
    to: str | None
    text: str


def parse_inbound(payload: Any) -> InboundMessage:
    """Parse a decoded JSON inbound payload (`from`/`msisdn`, `to`, `text`/`message`).

    Raises MalformedPayload when it is not an object, the sender is missing or not a string or number,
    the text is missing or not a string, or `to` is present but not a string or number.
    """
    if type(payload) is not dict:
        raise MalformedPayload("expected an inbound message object")
    sender = _number(first_present(payload, SENDER_KEYS))
    if not sender:
        raise MalformedPayload("the sender ('from' or 'msisdn') is missing or not a string or number")
    text = _text(payload)
    if type(text) is not str:
        raise MalformedPayload("the text ('text' or 'message') is missing or not a string")
    to = payload.get("to")
    our_number = None if to is None else _number(to)
    if to is not None and our_number is None:
        raise MalformedPayload("'to' is not a string or number")
    return InboundMessage(sender=sender, to=our_number or None, text=text)


def classify_keyword(text: str) -> Keyword | None:
    """'stop', 'start' or 'help' when the whole message is one of their keywords (see the module docstring)."""
    if type(text) is not str:
        return None
    text = text.strip()
    return KEYWORDS.get(text.casefold()) if len(text) <= _LONGEST_KEYWORD else None


def normalise_number(raw: str) -> str:
    """E.164 when `raw` is a valid international number, with or without '+' or '00'; else `raw` stripped.

    Anything with a letter (an alphanumeric sender) is left alone: phonenumbers would read letters as keypad
    digits.
    """
    raw = raw.strip()
    if any(char.isalpha() for char in raw):
        return raw
    digits = raw if raw.startswith("+") else "+" + raw.removeprefix("00")
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_valid_number(number):
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text(payload: dict) -> Any:
    """The message text; an empty SMS is a message too, with text ""."""
    text = first_present(payload, TEXT_KEYS)
    if text is None and any(payload.get(key) == "" for key in TEXT_KEYS):
        return ""
    return text


def _number(value: Any) -> str | None:
    """A normalised number from a string or an integer (JSON may carry an msisdn as a number)."""
    if type(value) is int:
        value = str(value)
    if type(value) is not str:
        return None
    return normalise_number(value)
