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


@dataclass(frozen=True)
class Template:
    """A validated body split once into literal text and placeholder names, so rendering is cheap."""

    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal text or placeholder name)

    def render(self, values: dict[str, str]) -> str:
        return "".join(values.get(text, "") if is_placeholder else text for is_placeholder, text in self.parts)

    def render_names(self, first_name: str | None, last_name: str | None) -> str:
        return self.render({"first_name": first_name or "", "last_name": last_name or ""})


def compile_template(body: str) -> Template:
    """Parse `body`; raise BodyError naming the problem when it is empty or has a bad placeholder."""
    if not body or not body.strip():
        raise BodyError("The message body is empty.")
    parts, position = [], 0
    for match in _PLACEHOLDER_RE.finditer(body):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            raise BodyError(f"Unknown placeholder {{{{ {name} }}}}; allowed: first_name, last_name.")
        parts.extend([(False, body[position : match.start()]), (True, name)])
        position = match.end()
    parts.append((False, body[position:]))
    if any("{{" in text or "}}" in text for is_placeholder, text in parts if not is_placeholder):
        raise BodyError("Malformed placeholder: use {{ first_name }} or {{ last_name }}.")
    return Template(tuple(part for part in parts if part[1]))


def measure_body(body: str) -> TextSize:
    """The quoted size of a campaign body, each placeholder counted as PLACEHOLDER_ESTIMATE."""
    template = compile_template(body)
    return measure(template.render(dict.fromkeys(PLACEHOLDERS, PLACEHOLDER_ESTIMATE)))
