"""What a campaign message costs: one credit per part (segment) of the text sent to that number, the
contact's names rendered in it, the shop's opt-out language included (and later its short links).

The same count in two places that must agree: `message_segments` (Python, at send time, on the text actually
sent) and `segments_sql` (one SQL expression per contact row, set-based at enqueue and in the pre-flight),
which renders the template in SQL and measures it with the database's `sms_segments` (campaigns/sms_sql.py).
Anything added to the rendered text (short links) is added to both `Template.render_names` and `_rendered_sql`.
"""

from functools import lru_cache

from django.db import connection

from campaigns.sms import Template, segments


@lru_cache(maxsize=8192)
def message_segments(text: str) -> int:
    """The credits one message of `text` costs: its parts, at least one. Remembered for the last texts seen:
    the send path measures every message, and a campaign's messages repeat (names are shared by many)."""
    return max(segments(text), 1)


def _rendered_sql(template: Template, *, first_name: str, last_name: str) -> tuple[str, list]:
    """SQL rendering `template` with the names in columns `first_name`, `last_name` (NULL renders empty)."""
    columns = {"first_name": first_name, "last_name": last_name}
    pieces, params = [], []
    for is_placeholder, text in template.parts:
        if is_placeholder:
            pieces.append(f"COALESCE({columns[text]}, '')")
        else:
            pieces.append("CAST(%s AS text)")
            params.append(text)
    return " || ".join(pieces), params


def segments_sql(template: Template, *, first_name: str, last_name: str) -> tuple[str, list]:
    """(SQL expression, its parameters): `message_segments` of the text `template` renders for a row whose
    names are in columns `first_name` and `last_name`. A template without placeholders costs the same for
    every row: a constant."""
    if not any(is_placeholder for is_placeholder, _text in template.parts):
        return "%s", [message_segments(template.render_names(None, None))]
    rendered, params = _rendered_sql(template, first_name=first_name, last_name=last_name)
    at_least_one = "GREATEST" if connection.vendor == "postgresql" else "max"
    return f"{at_least_one}(sms_segments({rendered}), 1)", params


def least_segments(template: Template) -> int:
    """What every message of `template` costs at least: names only add characters, and a text with more
    characters never takes fewer parts (GSM-7 or UCS-2, packed greedily)."""
    return message_segments(template.render_names(None, None))
