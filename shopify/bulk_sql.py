"""The bulk export's JSON Lines read by PostgreSQL: one statement turns a block of lines into customer rows, so a
million-customer sync does not parse a million JSON objects in Python (about 40 µs a line there, most of the time of
a first sync).

It reads only the usual shape of a line, where PostgreSQL's reading is exactly `parsing.graphql_customer`'s: every
field absent, null or a string in Shopify's canonical spelling (a `gid://shopify/Customer/<n>` id, phones in ASCII
E.164, names without surrounding whitespace, enums in lower or upper case, ISO 8601 times with an offset). Any
other line comes back flagged `usual = false` with nothing read from it, and the caller reads it with
`graphql_customer`, so both readings give the same records by construction (test_bulk_sql.py runs both over the
shapes SHOPIFY.md allows). A line that is not JSON at all, or a date PostgreSQL refuses (30 February), fails the
whole statement: the caller reads that block in Python.

`CUSTOMER_LINES` takes `%(lines)s` (the block's lines joined by newlines, none empty) and `%(space)s` (`SPACE`) and
yields a row per line except the usual ones without a phone (customers we cannot text): `COLUMNS`, the customer
(`customer_id`, `phone` in E.164, `first_name`, `last_name`, `has_profile` true, `updated_at`, `state`,
`opt_in_level`, `consent_at`, `collected_from`, enums in lower case), then the line's `n` (1-based) and `usual`
(false: the customer columns are null, read that line in Python).
"""

import psycopg

from shopify.records import COLLECTED_FROM, CONSENT_STATES, OPT_IN_LEVELS

# Python's str.strip() removes these; a name starting or ending with one is read in Python.
SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_E164 = r"^\+[1-9][0-9]{6,14}$"  # customers.customer_phone's fast path, in ASCII digits only
_TIME = (r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
         r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
_GID = r"^gid://shopify/[A-Za-z]+/[0-9]{1,18}$"


_CONSENT_KEYS = {"state": ("state", "marketingState"), "level": ("optInLevel", "marketingOptInLevel"),
                 "at": ("updatedAt", "consentUpdatedAt"), "source": ("collectedFrom", "consentCollectedFrom")}


def _consent_record(source: str, alias: str) -> str:
    """The consent object's eight keys as text (jsonb_to_record: a string's text, another value's JSON, so it
    never passes the checks below and sends its line to Python), for a line whose `source` is an object."""
    columns = ", ".join(f'"{key}" text' for keys in _CONSENT_KEYS.values() for key in keys)
    return (f"LEFT JOIN LATERAL jsonb_to_record(CASE WHEN jsonb_typeof({source}) = 'object' THEN {source} END)"
            f" AS {alias} ({columns}) ON true")


def _consent_values(alias: str) -> str:
    """One consent object's four values, the 2026-10 key first (parsing.consent's `_either`)."""
    return ", ".join(f'COALESCE({alias}."{new}", {alias}."{old}") AS {alias}_{name}'
                     for name, (new, old) in _CONSENT_KEYS.items())


def _spellings(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{spelling}'" for value in values for spelling in (value, value.upper()))


def _consent_usual(alias: str) -> str:
    return (f"({alias}_state IS NULL OR {alias}_state IN ({_spellings(CONSENT_STATES)}))"
            f" AND ({alias}_level IS NULL OR {alias}_level IN ({_spellings(OPT_IN_LEVELS)}))"
            f" AND ({alias}_source IS NULL OR {alias}_source IN ({_spellings(COLLECTED_FROM)}))"
            f" AND ({alias}_at IS NULL OR {alias}_at ~ '{_TIME}')")


def _name_usual(key: str, column: str) -> str:
    """A name that is absent, null, or a string Python's strip() leaves as it is."""
    return (f"(COALESCE(jsonb_typeof(j->'{key}'), 'null') = 'null' OR (jsonb_typeof(j->'{key}') = 'string'"
            f" AND {column} <> '' AND strpos(%(space)s, left({column}, 1)) = 0"
            f" AND strpos(%(space)s, right({column}, 1)) = 0))")


def _chosen(name: str) -> str:
    """A consent value from `defaultPhoneNumber` when that object carries any, else from the node's own."""
    any_new = " OR ".join(f"dc_{key} IS NOT NULL" for key in _CONSENT_KEYS)
    return f"CASE WHEN {any_new} THEN dc_{name} ELSE nc_{name} END"


CUSTOMER_LINES = f"""
WITH parsed AS MATERIALIZED (
    SELECT n, body::jsonb AS j FROM string_to_table(%(lines)s, E'\\n') WITH ORDINALITY AS lines (body, n)
)
SELECT CASE WHEN usual THEN substring(id_text FROM '[0-9]+$')::bigint END AS customer_id,
       CASE WHEN usual THEN COALESCE(phone_default, phone_node) END AS phone,
       CASE WHEN usual THEN first_text END AS first_name,
       CASE WHEN usual THEN last_text END AS last_name,
       true AS has_profile,
       CASE WHEN usual THEN updated_text::timestamptz END AS updated_at,
       CASE WHEN usual THEN lower({_chosen("state")}) END AS state,
       CASE WHEN usual THEN lower({_chosen("level")}) END AS opt_in_level,
       CASE WHEN usual THEN ({_chosen("at")})::timestamptz END AS consent_at,
       CASE WHEN usual THEN lower({_chosen("source")}) END AS collected_from,
       n, usual
FROM (
    SELECT v.*,
           jsonb_typeof(j) = 'object' AND NOT j ? '__parentId'
           AND CASE WHEN id_text ~ '{_GID}' THEN substring(id_text FROM '[0-9]+$')::bigint > 0 ELSE false END
           AND {_name_usual("firstName", "first_text")} AND {_name_usual("lastName", "last_text")}
           AND (phone_default IS NULL OR phone_default ~ '{_E164}')
           AND (phone_node IS NULL OR phone_node ~ '{_E164}')
           AND (updated_text IS NULL OR updated_text ~ '{_TIME}')
           AND {_consent_usual("dc")} AND {_consent_usual("nc")} AS usual
    FROM (
        SELECT n, j, node.id AS id_text, node."firstName" AS first_text, node."lastName" AS last_text,
               node.phone AS phone_node, node."updatedAt" AS updated_text,
               j->'defaultPhoneNumber'->>'phoneNumber' AS phone_default,
               {_consent_values("dc")}, {_consent_values("nc")}
        FROM parsed
        LEFT JOIN LATERAL jsonb_to_record(CASE WHEN jsonb_typeof(j) = 'object' THEN j END)
            AS node (id text, "firstName" text, "lastName" text, phone text, "updatedAt" text) ON true
        {_consent_record("j->'defaultPhoneNumber'->'smsMarketingConsent'", "dc")}
        {_consent_record("j->'smsMarketingConsent'", "nc")}
    OFFSET 0) v
OFFSET 0) checked
WHERE NOT usual OR COALESCE(phone_default, phone_node) IS NOT NULL
"""
COLUMNS = ("customer_id", "phone", "first_name", "last_name", "has_profile", "updated_at", "state", "opt_in_level",
           "consent_at", "collected_from", "n", "usual")
COLUMN_TYPES = ("bigint", "text", "text", "text", "boolean", "timestamptz", "text", "text", "timestamptz", "text",
                "bigint", "boolean")


def customer_rows(connection: psycopg.Connection, lines: list[bytes]) -> bytes | None:
    """`lines` read by PostgreSQL (on `connection`, which needs no table: a spare connection can read the next
    block while another applies this one), as COPY binary data of `COLUMNS` (types `COLUMN_TYPES`), one row per
    line; None when PostgreSQL refused the block (a line not JSON, not UTF-8, a date it rejects)."""
    try:
        text = b"\n".join(lines).decode()
    except UnicodeDecodeError:
        return None
    out = bytearray()
    try:
        with connection.cursor() as cursor, cursor.copy(
                f"COPY ({CUSTOMER_LINES}) TO STDOUT (FORMAT binary)", {"lines": text, "space": SPACE}) as copy:
            for data in copy:
                out += data
    except psycopg.DataError:
        return None
    return bytes(out)
