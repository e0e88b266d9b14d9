"""Checks of plain input values shared by the services: text that a database can store, and tag lists.

They raise ValueError with a message fit for an API client; the callers attach it to a field name.
"""

import re

MAX_TAGS = 50
MAX_TAG_LENGTH = 50
MAX_BODY_LENGTH = 1600  # characters of a campaign body, placeholders as written (API, admin)


def text_clean(value: object, *, max_length: int, allow_blank: bool = True) -> str:
    """`value` stripped, if it is a string PostgreSQL can store (no NUL, no lone surrogate) of at most
    `max_length` characters. None counts as blank."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("Must be a string.")
    if len(value) > max_length:
        raise ValueError(f"Must be at most {max_length} characters.")
    if "\x00" in value:
        raise ValueError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("Must be valid Unicode text.") from exc
    value = value.strip()
    if not value and not allow_blank:
        raise ValueError("Must not be blank.")
    return value


def tags_clean(value: object) -> list[str]:
    """A list of short, non-blank tags, stripped, duplicates dropped, order kept. None means no tags."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("Must be a list of strings.")
    if len(value) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags.")
    try:
        tags = [text_clean(tag, max_length=MAX_TAG_LENGTH, allow_blank=False) for tag in value]
    except ValueError as exc:
        raise ValueError(f"Each tag must be a non-blank string of at most {MAX_TAG_LENGTH} characters.") from exc
    return list(dict.fromkeys(tags))


_SENDER_ALPHANUMERIC = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{3,11}")
_SENDER_NUMERIC = re.compile(r"[0-9]{3,16}")


def sender_clean(value: object) -> str:
    """A sender id the networks accept: 3–11 letters, digits or spaces with at least one letter, or a number of
    3–16 digits. Blank means "the shop's sender"."""
    sender = text_clean(value, max_length=16)
    if sender and not (_SENDER_ALPHANUMERIC.fullmatch(sender) or _SENDER_NUMERIC.fullmatch(sender)):
        raise ValueError(
            "Must be 3–11 letters, digits or spaces with at least one letter, or a number of 3–16 digits."
        )
    return sender
