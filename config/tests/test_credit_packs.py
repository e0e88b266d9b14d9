"""CREDIT_PACKS and CREDIT_CURRENCY: parsed at start-up; a bad value stops it naming the variable."""

from decimal import Decimal

import pytest

from config.credit_packs import CreditPack, parse_credit_packs, parse_currency
from config.tests.test_secret_key import manage


def test_packs_are_parsed_sorted_by_credits():
    assert parse_credit_packs(" 5000:55, 1000:12.00,20000:200.5 ") == (
        CreditPack(1000, Decimal("12.00")), CreditPack(5000, Decimal("55.00")), CreditPack(20000, Decimal("200.50")))
    assert CreditPack(1000, Decimal("12.00")).price_per_credit == Decimal("0.0120")


@pytest.mark.parametrize("text, named", [
    ("", "''"), ("1000", "'1000'"), ("1000:", "'1000:'"), ("1000:12.001", "12.001"), ("-5:1", "'-5:1'"),
    ("0:1.00", "credits must be"), ("1000:0", "the price must be above 0"), ("1000:1,1000:2", "listed twice"),
    ("1000:12,", "''"), ("a:1", "'a:1'"), ("1e3:12", "'1e3:12'"), ("99999999:1", "credits must be"),
    ("1000:999999", "at most"),
])
def test_bad_packs_are_refused_naming_the_item(text, named):
    with pytest.raises(ValueError, match=named.replace(".", r"\.").replace("(", r"\(")):
        parse_credit_packs(text)


def test_currency_is_three_letters():
    assert parse_currency("eur") == "EUR"
    for bad in ("", "EURO", "E1R", "€"):
        with pytest.raises(ValueError):
            parse_currency(bad)


@pytest.mark.parametrize("name, value", [("CREDIT_PACKS", "1000:free"), ("CREDIT_PACKS", "1000:0"),
                                         ("CREDIT_CURRENCY", "dollars")])
def test_a_bad_value_stops_start_up_naming_the_variable(name, value, tmp_path):
    result = manage("check", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **{name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: Environment variable {name} has an invalid value" in result.stderr


def test_good_values_start(tmp_path):
    result = manage("check", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", CREDIT_PACKS="250:4.99",
                    CREDIT_CURRENCY="eur")
    assert result.returncode == 0, result.stderr
