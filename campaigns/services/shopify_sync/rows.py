"""What every way of applying customers reads the same from a staging row (customers.py's `_COLUMNS` order:
customer id, phone, first and last name, whether it carries a profile, updated at, consent state, opt-in level,
consent time, collected from): which of two rows for one phone wins, the detail of its consent event, the customers
with two phones among rows, and how its names are written as COPY text."""

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
    """The detail of the consent event a row's consent state makes: the statement's `concat_ws` in Python (the
    time in UTC to the second, written by isoformat: half strftime's cost, a million times in a first sync)."""
    _, _, _, _, _, _, state, level, consent_at, collected_from = row
    at = consent_at and f"consent_updated_at={consent_at.astimezone(UTC).isoformat(timespec='seconds')[:19]}Z"
    if state and level and collected_from and at:
        return f"state={state} opt_in_level={level} collected_from={collected_from} {at}"
    parts = (state and f"state={state}", level and f"opt_in_level={level}",
             collected_from and f"collected_from={collected_from}", at)
    return " ".join(part for part in parts if part)


def two_phone_customers(rows: list[tuple]) -> list[int]:
    """The customers staged with more than one phone (a moved customer's old and new numbers in one chunk): the
    second kind of candidate of customers.py's _UNLINK_MOVED. Counted here, on the reading thread, rather than by
    a grouping of the staging table in the statement."""
    first_phone, found = {}, set()
    for row in rows:
        if first_phone.setdefault(row[0], row[1]) != row[1]:
            found.add(row[0])
    return sorted(found)
