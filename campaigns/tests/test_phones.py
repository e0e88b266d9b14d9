import pytest

from campaigns.phones import PhoneError, phone_normalise


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+306912345678", None, "+306912345678"),
        ("+30 691 234 5678", "US", "+306912345678"),
        ("6912345678", "GR", "+306912345678"),
        ("6912345678", "gr", "+306912345678"),
        ("00306912345678", "GR", "+306912345678"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("  650.253.0000 ", "US", "+16502530000"),
        ("07400 123456", "GB", "+447400123456"),
        ("(+30) 691 234 5678", None, "+306912345678"),
        ("+ 30 691 234 5678", None, "+306912345678"),
    ],
)
def test_numbers_are_normalised_to_e164(raw, region, e164):
    assert phone_normalise(raw, region=region) == e164


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("6912345678", None, "has no country code and the shop has no default region"),
        ("6912345678", "", "has no country code"),
        ("123", "US", "is not a valid phone number in region US"),
        ("+30 123", None, "is not a valid phone number"),
        ("hello", "US", "is not a phone number"),
        ("+999 1234567", None, "unknown country code"),
        ("+1 650 253 0000 ext. 12", None, "has an extension"),
        ("", "US", "Must not be blank"),
        (None, "US", "Must not be blank"),
        (306912345678, "GR", "Must be a string"),
        ("+3069" + "1" * 40, None, "at most 32 characters"),
        ("+30691234\x005678", None, "NUL"),
        ("++306912345678", None, "single \\+ before the country code"),
        ("+-306912345678", None, "single \\+"),
        ("..306912345678", "GR", "must start with a digit"),
        ("tel:+306912345678", None, "must start with a digit"),
        ("+306912345678+", None, "single \\+"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(raw, region, message):
    with pytest.raises(PhoneError, match=message):
        phone_normalise(raw, region=region)
