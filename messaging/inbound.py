"""Inbound SMS (replies forwarded by Mitto) parsed into a plain record, and opt-out keywords recognised.

Keyword rule (`classify_keyword`). A reply is read as its words: letters and digits, apostrophes kept,
everything else a separator, any case; "opt out" and "opt-out" count as the one word OPTOUT.
- A reply that is exactly one keyword (punctuation aside: "STOP", " stop.", "Opt-Out!") is that keyword:
  STOP, QUIT, END, REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE, STOPALL, OPTOUT opt out (the FCC's words plus two
  carriers honour), START/UNSTOP opt back in, HELP/INFO ask for help.
- Inside a short reply (at most MAX_REPLY_WORDS words) an opt-out word also opts out: STOP, STOPALL,
  UNSUBSCRIBE, OPTOUT and REVOKE anywhere ("Stop texting me", "please unsubscribe"), unless right after a
  negation ("don't stop"); END, QUIT and CANCEL, which are everyday words of a shop's customers ("cancel my
  order"), only when the next words name the messages ("cancel these texts", "quit messaging me").
- A longer message opts out of nothing ("the sale ends at the end of the week?"), and START or HELP count only as
  the whole reply: a false opt-in would text someone who did not ask, and anything else is left for a human.
"""

import re
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

from messaging.reports import MalformedPayload, first_present

Keyword = Literal["stop", "start", "help"]

STOP_WORDS = ("stop", "quit", "end", "revoke", "optout", "cancel", "unsubscribe", "stopall")
KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(STOP_WORDS, "stop"),
    **dict.fromkeys(("start", "unstop"), "start"),
    **dict.fromkeys(("help", "info"), "help"),
}
MAX_REPLY_WORDS = 8
# Opt-out words that mean it wherever they stand in a short reply, and those that need the messages named too.
_STRONG_STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "optout", "revoke"})
_WEAK_STOP_WORDS = frozenset(STOP_WORDS) - _STRONG_STOP_WORDS
_ABOUT_MESSAGES = frozenset({
    "text", "texts", "texting", "txt", "txts", "message", "messages", "messaging", "msg", "msgs", "sms", "this",
    "these", "them", "subscription", "list", "alerts", "marketing", "promos", "notifications",
})
# How far after END/QUIT/CANCEL the messages must be named ("cancel my subscription", not "cancel my order, text").
_ABOUT_MESSAGES_WITHIN = 2
_NEGATIONS = frozenset({"don't", "dont", "not", "never", "won't", "can't", "cannot", "didn't"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_OPT_OUT_PHRASE = re.compile(r"\bopt[\s-]*out\b")
# Longer texts are not read for keywords at all (a reply is a few segments; this bounds the work on junk).
_MAX_READ_CHARS = 1000

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
    """'stop', 'start' or 'help' by the rule of the module docstring, else None."""
    if type(text) is not str or len(text) > _MAX_READ_CHARS:
        return None
    words = reply_words(text)
    if len(words) == 1:
        return KEYWORDS.get(words[0])
    if len(words) > MAX_REPLY_WORDS:
        return None
    return "stop" if _opts_out(words) else None


def reply_words(text: str) -> list[str]:
    """The reply's words, casefolded (curly apostrophes made straight), "opt out" joined into "optout"."""
    text = _OPT_OUT_PHRASE.sub(" optout ", text.casefold().replace("\u2019", "'"))
    return _WORD.findall(text)


def _opts_out(words: list[str]) -> bool:
    for index, word in enumerate(words):
        if index and words[index - 1] in _NEGATIONS:
            continue
        if word in _STRONG_STOP_WORDS:
            return True
        following = words[index + 1:index + 1 + _ABOUT_MESSAGES_WITHIN]
        if word in _WEAK_STOP_WORDS and not _ABOUT_MESSAGES.isdisjoint(following):
            return True
    return False


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
