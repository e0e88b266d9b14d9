import pytest

from messaging.inbound import MAX_REPLY_WORDS, InboundMessage, classify_keyword, normalise_number, parse_inbound
from messaging.reports import MalformedPayload


def test_a_reply_with_from_to_and_text_parses():
    payload = {"from": "+306912345678", "to": "+41791234567", "text": "STOP"}

    assert parse_inbound(payload) == InboundMessage(sender="+306912345678", to="+41791234567", text="STOP")


def test_the_msisdn_and_message_variants_are_accepted():
    payload = {"msisdn": "+306912345678", "message": "hello"}

    assert parse_inbound(payload) == InboundMessage(sender="+306912345678", to=None, text="hello")


@pytest.mark.parametrize(
    "raw",
    ["306912345678", "+30 691 234 5678", "00306912345678", 306912345678, " +306912345678 "],
)
def test_the_sender_is_normalised_to_e164(raw):
    assert parse_inbound({"from": raw, "text": "hi"}).sender == "+306912345678"


def test_our_number_is_normalised_like_the_sender():
    assert parse_inbound({"from": "306912345678", "to": "41791234567", "text": "hi"}).to == "+41791234567"


@pytest.mark.parametrize("raw", ["MyShop", "12345", "+999123"])
def test_a_sender_that_is_no_valid_number_is_kept_as_sent(raw):
    assert parse_inbound({"from": raw, "text": "hi"}).sender == raw


def test_an_empty_from_falls_back_to_msisdn():
    assert parse_inbound({"from": "", "msisdn": "306912345678", "text": "hi"}).sender == "+306912345678"


def test_an_empty_text_is_an_empty_message():
    assert parse_inbound({"from": "306912345678", "text": ""}).text == ""


def test_the_text_is_kept_exactly_as_sent():
    assert parse_inbound({"from": "306912345678", "text": "  Stop \n"}).text == "  Stop \n"


@pytest.mark.parametrize(
    "payload",
    [
        ["from", "text"],
        "STOP",
        None,
        {"text": "STOP"},
        {"from": "", "text": "STOP"},
        {"from": None, "msisdn": None, "text": "STOP"},
        {"from": True, "text": "STOP"},
        {"from": {"n": "306912345678"}, "text": "STOP"},
        {"from": "306912345678"},
        {"from": "306912345678", "text": None},
        {"from": "306912345678", "text": 42},
        {"from": "306912345678", "message": ["STOP"]},
        {"from": "306912345678", "to": ["x"], "text": "STOP"},
    ],
)
def test_a_payload_without_a_usable_sender_or_text_is_malformed(payload):
    with pytest.raises(MalformedPayload) as caught:
        parse_inbound(payload)
    assert caught.value.reason


@pytest.mark.parametrize("word", ["STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPALL"])
@pytest.mark.parametrize("shape", ["{}", " {} ", "\n{}\t", "\u00a0{}\r\n"])
def test_every_stop_keyword_opts_out_in_any_case_and_padding(word, shape):
    for variant in (word, word.lower(), word.capitalize()):
        assert classify_keyword(shape.format(variant)) == "stop"


@pytest.mark.parametrize("word", ["START", "start", "Unstop", " UNSTOP "])
def test_start_keywords_opt_back_in(word):
    assert classify_keyword(word) == "start"


@pytest.mark.parametrize("word", ["HELP", "help", " Info\n"])
def test_help_keywords_ask_for_help(word):
    assert classify_keyword(word) == "help"


@pytest.mark.parametrize("word", ["REVOKE", "OPTOUT", "opt out", "Opt-Out", "OPT  OUT"])
def test_the_fccs_other_words_opt_out(word):
    assert classify_keyword(word) == "stop"


@pytest.mark.parametrize(
    "text", ["S T O P", "STOPP", "", "   ", "thanks!", "x" * 10_000, "stop " * 300, "help me", "start now"]
)
def test_no_keyword(text):
    assert classify_keyword(text) is None


def test_a_stop_word_counts_only_within_a_short_reply():
    words = ["please", "stop", "sending", "me", "offers", "I", "have", "enough"]
    assert classify_keyword(" ".join(words[:MAX_REPLY_WORDS])) == "stop"
    assert classify_keyword(" ".join([*words, "now"][:MAX_REPLY_WORDS + 1])) is None


@pytest.mark.parametrize("value", [None, 42, ["STOP"]])
def test_classify_ignores_anything_but_text(value):
    assert classify_keyword(value) is None


def test_normalise_number_keeps_alphanumeric_senders_untouched():
    assert normalise_number(" SHOP24 ") == "SHOP24"
