"""Short-link codes (services/links/codes.py) and the links in a template (campaigns/sms.py)."""

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaigns.services.links.codes import (
    MAX_ID,
    RECIPIENT,
    TEST_SEND,
    LinkRef,
    code_make,
    code_read,
    recipient_codes,
)
from campaigns.sms import LINK_CODE_LENGTH, BodyError, compile_template, measure, measure_body

BASE = "https://app.example.com/l"


@given(kind=st.sampled_from([RECIPIENT, TEST_SEND]), position=st.integers(0, 15), ident=st.integers(0, MAX_ID))
@hypothesis_settings(max_examples=300, deadline=None)
def test_a_code_reads_back_as_what_it_was_made_of(kind, position, ident):
    code = code_make(kind=kind, position=position, ident=ident)
    assert len(code) == LINK_CODE_LENGTH
    assert code_read(code) == LinkRef(kind, position, ident)


def test_any_altered_character_makes_the_code_unreadable():
    code = code_make(kind=RECIPIENT, position=2, ident=123_456)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index in range(LINK_CODE_LENGTH):
        for replacement in alphabet:
            if replacement != code[index]:
                assert code_read(code[:index] + replacement + code[index + 1:]) is None


@pytest.mark.parametrize("code", ["", "short", "x" * 13, "abc/def+ghi=", "ÄÖÜäöüßabcde", "............"])
def test_codes_of_the_wrong_shape_are_unreadable(code):
    assert code_read(code) is None


def test_codes_of_another_secret_are_unreadable(settings):
    code = code_make(kind=RECIPIENT, position=0, ident=42)
    settings.LINK_SECRET = "another deployment's secret"
    assert code_read(code) is None


def test_no_two_recipients_or_positions_share_a_code_and_neighbours_look_unrelated():
    codes = [c for rid in range(1, 5001) for c in recipient_codes(recipient_id=rid, count=3)]
    assert len(set(codes)) == len(codes)
    first, second = code_make(kind=RECIPIENT, position=0, ident=1000), code_make(kind=RECIPIENT, position=0, ident=1001)
    assert sum(a == b for a, b in zip(first, second, strict=True)) < LINK_CODE_LENGTH // 2


def test_ids_beyond_the_code_space_are_refused():
    with pytest.raises(ValueError):
        code_make(kind=RECIPIENT, position=0, ident=MAX_ID + 1)
    with pytest.raises(ValueError):
        code_make(kind=RECIPIENT, position=16, ident=1)


def test_a_template_finds_every_link_and_keeps_the_text_around_it():
    template = compile_template("See https://shop.com/a?b=1#top. Or (http://x.io/ä)! {{ first_name }}", link_base=BASE)
    assert template.links == ("https://shop.com/a?b=1#top", "http://x.io/ä")
    text = template.render_names("Ann", None, ["A" * 12, "B" * 12])
    assert text == f"See {BASE}/{'A' * 12}. Or ({BASE}/{'B' * 12})! Ann"


def test_a_placeholder_inside_a_link_and_too_many_links_are_refused():
    with pytest.raises(BodyError, match="part of a link"):
        compile_template("https://shop.com/?name={{ first_name }}", link_base=BASE)
    with pytest.raises(BodyError, match="at most 16 links"):
        compile_template(" ".join(f"https://s.io/{n}" for n in range(17)), link_base=BASE)


@given(
    words=st.lists(st.sampled_from(["Sale", "{{ first_name }}", "€", "ünï", "https://shop.com/p?id=1", "http://x.y/z",
                                    "50%", "\n", "🙂", "{{ last_name }}"]), min_size=1, max_size=40),
    first=st.text(max_size=12).filter(lambda t: "{" not in t), rid=st.integers(1, 10**9),
)
@hypothesis_settings(max_examples=200, deadline=None)
def test_the_quoted_segments_of_a_body_with_links_equal_the_rendered_messages(words, first, rid):
    """The size quoted before sending (links at their sample length) is the size of every message as sent, its
    own codes in it, whatever the names (placeholders measured as PLACEHOLDER_ESTIMATE, names of that size)."""
    body = "Sale " + " ".join(words)
    template = compile_template(body)
    codes = recipient_codes(recipient_id=rid, count=len(template.links))
    sent = template.render_names("x" * 10, "x" * 10, codes)
    assert measure(sent) == measure_body(body)
    assert len(template.render_names(first, None, codes)) == len(template.render_names(first, None))
