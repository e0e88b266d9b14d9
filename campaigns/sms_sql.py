"""`sms_segments(text)`: campaigns.sms.measure(text).segments as a database function, so enqueue can price every
recipient's own rendered text set-based, inside its INSERT … SELECT.

PostgreSQL gets a PL/pgSQL function (created by a migration from `create_function_sql()`), its character
classes generated from sms.py's GSM7_BASIC and GSM7_EXTENSION so the two can never disagree. It mirrors
`measure`: the common text (GSM-7 basic characters only) is priced by one regular-expression test and its
length; a text with extension or astral characters also counts them with one regexp_replace() (translate()
costs several times more on multibyte text); only a multi-part text with two-unit characters is packed, by
walking its two-unit characters and its part boundaries, never its characters one by one. SQLite (the
embedded demo) gets `measure` itself as a Python function on each new connection.
"""

from campaigns.sms import ASTRAL_CLASS, GSM7_CLASS, GSM7_EXTENSION_CLASS, NOT_GSM7_BASIC, measure

FUNCTION = "sms_segments"

_PLPGSQL = r"""
CREATE OR REPLACE FUNCTION sms_segments(body text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    n integer := length(body);
    wide integer := 0;
    units integer;
    part integer;
    two_units text;
    pieces text[];
    starts integer[];
    offset_at integer := 0;
    boundary integer;
    done integer := 0;
    next_wide integer := 1;
    parts integer := 1;
BEGIN
    IF body IS NULL OR n = 0 THEN
        RETURN 0;
    END IF;
    IF body !~ {not_gsm7_basic} THEN  -- the common text: one-septet characters only
        IF n <= 160 THEN RETURN 1; END IF;
        RETURN (n + 152) / 153;
    END IF;
    IF body !~ {not_gsm7} THEN
        wide := n - length(regexp_replace(body, {extension_class}, '', 'g'));
        units := n + wide;
        IF units <= 160 THEN RETURN 1; END IF;
        part := 153;
        two_units := {extension_class};
    ELSE
        IF body ~ {astral_class} THEN
            wide := n - length(regexp_replace(body, {astral_class}, '', 'g'));
        END IF;
        units := n + wide;
        IF units <= 70 THEN RETURN 1; END IF;
        IF wide = 0 THEN RETURN (units + 66) / 67; END IF;
        part := 67;
        two_units := {astral_class};
    END IF;
    -- Greedy packing: a part ends `part` units after the previous one, one earlier when a two-unit
    -- character would straddle that boundary. starts[i]: the unit offset of the i-th two-unit character.
    pieces := regexp_split_to_array(body, two_units);
    FOR i IN 1 .. wide LOOP
        offset_at := offset_at + length(pieces[i]);
        starts[i] := offset_at;
        offset_at := offset_at + 2;
    END LOOP;
    WHILE units - done > part LOOP
        boundary := done + part;
        WHILE next_wide <= wide AND starts[next_wide] < boundary - 1 LOOP
            next_wide := next_wide + 1;
        END LOOP;
        IF next_wide <= wide AND starts[next_wide] = boundary - 1 THEN
            boundary := boundary - 1;
        END IF;
        done := boundary;
        parts := parts + 1;
    END LOOP;
    RETURN parts;
END
$fn$;
"""

DROP_FUNCTION_SQL = "DROP FUNCTION IF EXISTS sms_segments(text);"


def _literal(text: str) -> str:
    """`text` as a standard SQL string literal (backslashes are plain characters in it)."""
    return "'" + text.replace("'", "''") + "'"


def create_function_sql() -> str:
    """The statement creating (or replacing) `sms_segments(text)` on PostgreSQL."""
    return _PLPGSQL.format(
        not_gsm7_basic=_literal(NOT_GSM7_BASIC),
        not_gsm7=_literal("[^" + GSM7_CLASS[1:]),
        extension_class=_literal(GSM7_EXTENSION_CLASS),
        astral_class=_literal(ASTRAL_CLASS),
    )


def _segments(text: str | None) -> int:
    return 0 if text is None else measure(text).segments


def sqlite_register(*, sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give an SQLite connection the `sms_segments` function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 1, _segments, deterministic=True)
