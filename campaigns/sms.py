"""SMS text rules: placeholders, rendering, and how many parts (segments) a text takes.

GSM-7 (3GPP TS 23.038): basic-table characters take one septet, extension-table characters two (an escape
and the character); one part holds 160 septets, a concatenated part 153, and a two-septet character is
never split across parts. Any other character makes the whole text UCS-2: UTF-16 code units, 70 in one
part, 67 per concatenated part, a surrogate pair never split.
"""

import math
import re
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = "GSM-7"
UCS2 = "UCS-2"

PLACEHOLDERS = ("first_name", "last_name")
# A placeholder is counted as this many GSM-7 characters when a campaign's size (and so its price) is quoted.
PLACEHOLDER_ESTIMATE = "x" * 10

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class BodyError(ValueError):
    """The body cannot be sent: empty, or a placeholder that is unknown or malformed."""


@dataclass(frozen=True)
class TextSize:
    encoding: str
    segments: int
    units: int


SPECIAL_IN_CHARACTER_CLASS = "\\][^-"


def character_class(chars) -> str:
    """`chars` as a regular-expression bracket expression, read alike by Python's `re` and PostgreSQL's
    regular expressions (the characters special inside brackets escaped), in a fixed order."""
    return "[" + "".join("\\" + ch if ch in SPECIAL_IN_CHARACTER_CLASS else ch for ch in sorted(chars)) + "]"


GSM7_CLASS = character_class(GSM7_BASIC | GSM7_EXTENSION)
GSM7_EXTENSION_CLASS = character_class(GSM7_EXTENSION)
NOT_GSM7_BASIC = "[^" + character_class(GSM7_BASIC)[1:]  # any character outside the basic table
ASTRAL_CLASS = "[\\U00010000-\\U0010FFFF]"  # characters outside the BMP: a surrogate pair in UCS-2
_GSM7_ONLY = re.compile(GSM7_CLASS + "*")
_EXTENSION = re.compile(GSM7_EXTENSION_CLASS)
_ASTRAL = re.compile(ASTRAL_CLASS)


def _size(text: str) -> tuple[str, int, int]:
    """(encoding, segments, units): one pass in C for the common texts (one part, or no two-unit character);
    the greedy packing only for a multi-part text with two-unit characters."""
    if _GSM7_ONLY.fullmatch(text):
        encoding, single, part, two_units = GSM7, 160, 153, _EXTENSION
    else:
        encoding, single, part, two_units = UCS2, 70, 67, _ASTRAL
    wide = len(two_units.findall(text))
    units = len(text) + wide
    if units <= single:
        return encoding, 1 if units else 0, units
    if not wide:
        return encoding, math.ceil(units / part), units
    return encoding, _packed([2 if two_units.match(ch) else 1 for ch in text], part=part), units


def measure(text: str) -> TextSize:
    """The encoding and number of parts of `text` exactly as a handset would split it. The database's
    `sms_segments` (campaigns/sms_sql.py) is the same function."""
    return TextSize(*_size(text))


def segments(text: str) -> int:
    """`measure(text).segments`, without building the TextSize (the send path measures every message)."""
    return _size(text)[1]


def _packed(widths: list[int], *, part: int) -> int:
    """Parts of `part` units holding these characters in order, a two-unit character never split."""
    segments, used = 1, 0
    for width in widths:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return segments


# A short link's code has this many characters (campaigns.services.links.codes): every link in a body is sent
# as `{LINK_BASE_URL}/{code}`, so its length, and a message's size, are known before the codes are.
LINK_CODE_LENGTH = 12
LINK_CODE_SAMPLE = "Xk4pQ9mZ2rTb"  # what a code looks like where none is issued yet (previews, measuring)
MAX_LINKS = 16
# An http(s) URL as it would be clicked: up to a space, a quote, an angle bracket or a placeholder's brace,
# without the punctuation that usually ends the sentence around it.
_URL_RE = re.compile(r"https?://[^\s<>\"'{}]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]'\""


def _link_base() -> str:
    from django.conf import settings

    return settings.LINK_BASE_URL


@dataclass(frozen=True)
class Template:
    """A validated body split once into literal text and placeholder names, so rendering is cheap.

    Each URL of the body is a literal part holding its short link with the sample code (so anything that
    measures or shows the template sees the size and shape of the message as sent); `link_slots` are those
    parts' indexes and `links` the original URLs, in order. `render_names(..., link_codes=…)` puts a
    recipient's codes in."""

    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal text or placeholder name)
    links: tuple[str, ...] = ()
    link_slots: tuple[int, ...] = ()
    link_base: str = ""

    def render(self, values: dict[str, str]) -> str:
        return "".join(values.get(text, "") if is_placeholder else text for is_placeholder, text in self.parts)

    def render_names(
        self, first_name: str | None, last_name: str | None, link_codes: list[str] | None = None
    ) -> str:
        values = {"first_name": first_name or "", "last_name": last_name or ""}
        if not link_codes:
            return self.render(values)
        texts = [values.get(text, "") if is_placeholder else text for is_placeholder, text in self.parts]
        prefix = self.link_base + "/"
        for slot, code in zip(self.link_slots, link_codes, strict=True):
            texts[slot] = prefix + code
        return "".join(texts)


def _split_links(text: str, *, link_base: str, links: list[str], before_placeholder: bool) -> list[tuple]:
    """`text` (literal, no placeholder) cut into (is_placeholder, text, is_link) parts around its URLs; each
    URL becomes its sample short link and is appended to `links`. A URL running into the placeholder that
    follows would carry the placeholder's value in it: BodyError."""
    parts, position = [], 0
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(_URL_TRAILING)
        if before_placeholder and match.end() == len(text):
            raise BodyError("A placeholder cannot be part of a link: links are shortened per recipient.")
        if url.lower() in ("http://", "https://"):
            continue
        parts.append((False, text[position : match.start()], False))
        parts.append((False, f"{link_base}/{LINK_CODE_SAMPLE}", True))
        links.append(url)
        position = match.start() + len(url)
    parts.append((False, text[position:], False))
    return parts


def compile_template(body: str, *, link_base: str | None = None) -> Template:
    """Parse `body`; raise BodyError naming the problem when it is empty, has a bad placeholder, a placeholder
    inside a link, or more than MAX_LINKS links. Links are shortened on `link_base` (LINK_BASE_URL)."""
    if not body or not body.strip():
        raise BodyError("The message body is empty.")
    link_base = _link_base() if link_base is None else link_base
    parts, links, position = [], [], 0
    for match in _PLACEHOLDER_RE.finditer(body):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            raise BodyError(f"Unknown placeholder {{{{ {name} }}}}; allowed: first_name, last_name.")
        before = body[position : match.start()]
        parts.extend(_split_links(before, link_base=link_base, links=links, before_placeholder=True))
        parts.append((True, name, False))
        position = match.end()
    parts.extend(_split_links(body[position:], link_base=link_base, links=links, before_placeholder=False))
    if any("{{" in text or "}}" in text for is_placeholder, text, _ in parts if not is_placeholder):
        raise BodyError("Malformed placeholder: use {{ first_name }} or {{ last_name }}.")
    if len(links) > MAX_LINKS:
        raise BodyError(f"A message may carry at most {MAX_LINKS} links; this one has {len(links)}.")
    kept = [part for part in parts if part[1]]
    slots = tuple(index for index, part in enumerate(kept) if part[2])
    return Template(tuple(part[:2] for part in kept), tuple(links), slots, link_base)


def measure_body(body: str) -> TextSize:
    """The quoted size of a campaign body, each placeholder counted as PLACEHOLDER_ESTIMATE and each link at
    the length of its short link."""
    template = compile_template(body)
    return measure(template.render(dict.fromkeys(PLACEHOLDERS, PLACEHOLDER_ESTIMATE)))
