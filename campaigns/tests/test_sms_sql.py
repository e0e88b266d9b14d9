"""The database's sms_segments() and the enqueue expression (billing/pricing.segments_sql) equal campaigns.sms
(measure, message_segments) on every text, and so on every rendered message."""

import sqlite3
from types import SimpleNamespace

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.services.billing.pricing import message_segments, segments_sql
from campaigns.sms import GSM7_BASIC, GSM7_EXTENSION, compile_template, measure
from campaigns.sms_sql import create_function_sql, sqlite_register

pytestmark = pytest.mark.django_db

GREEK = "άέήίόύώΐΰϊϋΆΈΉΊΌΎΏαβγδεζηθ"  # accented Greek is not GSM-7 (only some capitals are)
CHINESE = "王李张刘陈杨黄赵吴周"
ASTRAL = "😀🎉👍🏽𝔘𠜎🇬🇷"
# Every kind of character a name can bring: GSM-7 basic, extension (two septets), other BMP characters,
# characters outside the BMP (a surrogate pair in UCS-2); no NUL or lone surrogate (PostgreSQL text holds none).
name_char = st.one_of(
    st.sampled_from(sorted(GSM7_BASIC)),
    st.sampled_from(sorted(GSM7_EXTENSION)),
    st.sampled_from(GREEK + CHINESE),
    st.sampled_from(ASTRAL),
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
)
names = st.one_of(st.none(), st.text(name_char, max_size=100))
BODIES = [
    "Hi {{ first_name }} {{ last_name }}",
    "Hi {{ first_name }}, 20% off everything today at Bench Shop. Show this SMS in store.\nReply STOP to opt out",
    "{{ last_name }}" + "a" * 150 + "{{ first_name }}",
    "Γεια σου {{ first_name }} {{ last_name }}! " + "€" * 70,
    "{{ first_name }}" + "😀" * 30 + "{{ last_name }}",
]


def sql_segments(texts):
    with connection.cursor() as cursor:
        cursor.execute("SELECT sms_segments(t) FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, i) ORDER BY i",
                       [texts])
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the PL/pgSQL function is PostgreSQL's")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.sampled_from(BODIES), first=names, last=names)
def test_the_sql_count_of_a_rendered_message_is_the_python_count(postgres, body, first, last):
    text = compile_template(body).render_names(first, last)
    assert sql_segments([text]) == [measure(text).segments]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(name_char, max_size=700), min_size=1, max_size=20))
def test_the_sql_count_of_any_text_is_the_python_count(postgres, texts):
    assert sql_segments(texts) == [measure(text).segments for text in texts]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a" * 160, "a" * 161, "a" * 306, "a" * 307, "a" * 459, "a" * 460, "ы" * 134, "ы" * 135, "ы" * 201,
        "ы" * 202, "€" * 80, "€" * 81, "a" * 152 + "€" + "a" * 152, "a" * 159 + "€",
        "ы" * 70, "ы" * 71, "😀" * 35, "😀" * 36, "a" * 66 + "😀" + "a" * 66, "ά" * 200 + "😀" * 3,
        *sorted(GSM7_BASIC | GSM7_EXTENSION), "'", "\\" * 161, "]" * 200, "^-[" * 60, "\n\r\f" * 60,
    ],
)
def test_the_boundaries_and_every_gsm7_character_agree(postgres, text):
    assert sql_segments([text]) == [measure(text).segments]


def test_a_null_text_has_no_segments(postgres):
    assert sql_segments([None]) == [0]


def test_the_installed_function_is_the_one_generated_from_the_character_tables(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'sms_segments'")
        (installed,) = cursor.fetchone()
    assert installed.strip() in create_function_sql()


def test_an_sqlite_connection_gets_the_python_count_as_sms_segments():
    raw = sqlite3.connect(":memory:")
    sqlite_register(sender=None, connection=SimpleNamespace(vendor="sqlite", connection=raw))
    texts = ["Hi Μαρία", "a" * 152 + "€" + "a" * 152, "😀" * 36, None]
    counted = [raw.execute("SELECT sms_segments(?)", (text,)).fetchone()[0] for text in texts]
    assert counted == [1, 3, 2, 0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.sampled_from([*BODIES, "{{ first_name }}", "{{ first_name }}{{ first_name }} " + "a" * 100]),
       rows=st.lists(st.tuples(names, names), min_size=1, max_size=10))
def test_the_enqueue_expression_prices_each_row_as_its_rendered_message(postgres, body, rows):
    """segments_sql, what enqueue and the pre-flight price every contact row by (its length-only shortcut
    for GSM-7 basic names included), equals message_segments of the text the send path renders."""
    assert_priced_as_rendered(compile_template(body), rows)


@pytest.mark.parametrize("length", [2, 3, 70, 71, 160, 161, 306, 307, 459, 460])
@pytest.mark.parametrize("last", ["b", "€", "ά", "😀"])
def test_the_enqueue_expression_at_every_part_boundary(postgres, length, last):
    """`length` characters rendered: "A", the first name, one character of the last name."""
    assert_priced_as_rendered(compile_template("A{{ first_name }}{{ last_name }}"), [("a" * (length - 2), last)])


def assert_priced_as_rendered(template, rows):
    expression, params = segments_sql(template, first_name="u.first_name", last_name="u.last_name")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {expression} FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(first_name, last_name, i)"
            " ORDER BY u.i", [*params, [first for first, _ in rows], [last for _, last in rows]],
        )
        priced = [row[0] for row in cursor.fetchall()]
    assert priced == [message_segments(template.render_names(first, last)) for first, last in rows]
