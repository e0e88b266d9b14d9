import pytest

from campaigns.sms import BodyError, compile_template, measure, measure_body


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("a" * 159 + "€", "GSM-7", 2),
        ("a" * 152 + "€" + "a" * 7, "GSM-7", 2),
        ("ы" * 70, "UCS-2", 1),
        ("ы" * 71, "UCS-2", 2),
        ("ы" * 134, "UCS-2", 2),
        ("ы" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),
        ("😀" * 36, "UCS-2", 2),
        ("a" * 159 + "ы", "UCS-2", 3),
    ],
)
def test_encoding_and_segments_at_the_boundaries(text, encoding, segments):
    size = measure(text)
    assert (size.encoding, size.segments) == (encoding, segments)


def test_an_extension_character_is_not_split_across_parts():
    text = "a" * 152 + "€" + "a" * 152
    assert measure(text).units == 306
    assert measure(text).segments == 3


def test_placeholders_render_with_or_without_spaces():
    template = compile_template("Hi {{first_name}} {{ last_name }}!")
    assert template.render_names("Maria", "Papa") == "Hi Maria Papa!"
    assert template.render_names(None, "") == "Hi  !"


@pytest.mark.parametrize("body", ["", "   ", "Hi {{ email }}", "Hi {{ first_name", "Hi }} there", "{{}}"])
def test_bad_bodies_are_refused(body):
    with pytest.raises(BodyError):
        compile_template(body)


def test_quoted_size_counts_each_placeholder_as_ten_characters():
    assert measure_body("{{ first_name }}" + "a" * 150).segments == 1
    assert measure_body("{{ first_name }}" + "a" * 151).segments == 2
