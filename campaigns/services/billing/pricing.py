"""What a campaign message costs: one credit per part (segment) of the text sent to that number, the
contact's names rendered in it, the shop's opt-out language included (and later its short links).

The same count in two places that must agree: `message_segments` (Python, at send time, on the text actually
sent) and `segments_sql` (one SQL expression per contact row, set-based at enqueue and in the pre-flight),
which renders the template in SQL and measures it with the database's `sms_segments` (campaigns/sms_sql.py).
Anything added to the rendered text (short links) is added to both `Template.render_names` and `_rendered_sql`.
"""

from functools import lru_cache

from django.db import connection

from campaigns.sms import GSM7_BASIC, NOT_GSM7_BASIC, Template, segments


@lru_cache(maxsize=8192)
def message_segments(text: str) -> int:
    """The credits one message of `text` costs: its parts, at least one. Remembered for the last texts seen:
    the send path measures every message, and a campaign's messages repeat (names are shared by many)."""
    return max(segments(text), 1)


def _names_sql(*, first_name: str, last_name: str) -> dict[str, str]:
    """Placeholder → SQL of its value in a row whose names are in these columns (NULL renders empty)."""
    return {"first_name": f"COALESCE({first_name}, '')", "last_name": f"COALESCE({last_name}, '')"}


def _rendered_sql(template: Template, names: dict[str, str]) -> tuple[str, list]:
    """SQL rendering `template` with the placeholders' values in `names` (`_names_sql`)."""
    pieces, params = [], []
    for is_placeholder, text in template.parts:
        if is_placeholder:
            pieces.append(names[text])
        else:
            pieces.append("CAST(%s AS text)")
            params.append(text)
    return " || ".join(pieces), params


def segments_sql(template: Template, *, first_name: str, last_name: str) -> tuple[str, list]:
    """(SQL expression, its parameters): `message_segments` of the text `template` renders for a row whose
    names are in columns `first_name` and `last_name`. A template without placeholders costs the same for
    every row: a constant. On PostgreSQL, when the template's own text is GSM-7 basic, a row whose names are
    too is priced from lengths alone (several times cheaper than the function, which the other rows get)."""
    if not any(is_placeholder for is_placeholder, _text in template.parts):
        return "%s", [message_segments(template.render_names(None, None))]
    columns = _names_sql(first_name=first_name, last_name=last_name)
    rendered, params = _rendered_sql(template, columns)
    if connection.vendor != "postgresql":
        return f"max(sms_segments({rendered}), 1)", params
    exact = f"GREATEST(sms_segments({rendered}), 1)"
    literal = "".join(text for is_placeholder, text in template.parts if not is_placeholder)
    if not set(literal) <= GSM7_BASIC:
        return exact, params
    names = [columns[text] for is_placeholder, text in template.parts if is_placeholder]
    septets = " + ".join([str(len(literal)), *(f"length({name})" for name in names)])
    basic_only = f"({' || '.join(names)}) !~ %s"
    by_length = f"CASE WHEN {septets} <= 160 THEN 1 ELSE ({septets} + 152) / 153 END"
    return f"CASE WHEN {basic_only} THEN {by_length} ELSE {exact} END", [NOT_GSM7_BASIC, *params]


def least_segments(template: Template) -> int:
    """What every message of `template` costs at least: names only add characters, and a text with more
    characters never takes fewer parts (GSM-7 or UCS-2, packed greedily)."""
    return message_segments(template.render_names(None, None))
