"""What every way of applying customers reads the same from a staging row (customers.py's `_COLUMNS` order:
customer id, phone, first and last name, whether it carries a profile, updated at, consent state, opt-in level,
consent time, collected from): which of two rows for one phone wins, the detail of its consent event, and how
its names are written as COPY text."""

from datetime import UTC

# PostgreSQL's COPY text escapes; a NUL, which no text column can hold, is dropped.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": None})
COPY_NULL = "\\N"


def row_recency(row: tuple) -> tuple:
    """Ascending as customers.py's DISTINCT ON prefers (the last wins): newest update, newest consent, id."""
    _, _, _, _, _, updated_at, _, _, consent_at, _ = row
    return (updated_at.timestamp() if updated_at else float("-inf"),
            consent_at.timestamp() if consent_at else float("-inf"), row[0])


def consent_detail(row: tuple) -> str:
    """The detail of the consent event a row's consent state makes: the statement's `concat_ws` in Python."""
    _, _, _, _, _, _, state, level, consent_at, collected_from = row
    parts = [f"state={state}" if state else "", f"opt_in_level={level}" if level else "",
             f"collected_from={collected_from}" if collected_from else "",
             f"consent_updated_at={consent_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" if consent_at else ""]
    return " ".join(part for part in parts if part)
