"""The sync's phone fast path (a Shopify phone already in E.164 taken as it is) gives phonenumbers' own answer for
every valid number of every region, and the suppression hash written in SQL equals the one in Python."""

import phonenumbers
import pytest
from django.db import connection

from campaigns.phones import phone_normalise
from campaigns.services.contacts.suppression import phone_hash, phone_hash_sql
from campaigns.services.shopify_sync.customers import customer_phone


def _valid_numbers() -> list[str]:
    found = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return sorted(found)


def test_the_e164_fast_path_equals_phonenumbers_on_every_regions_valid_numbers():
    numbers = _valid_numbers()
    assert len(numbers) > 400
    for number in numbers:
        assert customer_phone(number, region="US") == phone_normalise(number, region="US") == number


def test_numbers_not_in_e164_go_through_phonenumbers_in_the_shops_region():
    assert customer_phone("(212) 555-0188", region="US") == "+12125550188"
    assert customer_phone("6912345678", region="GR") == "+306912345678"
    assert customer_phone("not a phone", region="US") is None


@pytest.mark.django_db
def test_the_suppression_hash_in_sql_equals_the_python_one():
    expression, params = phone_hash_sql("phone")
    phones = ["+12125550188", "+306912345678", "+447911123456"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression} FROM unnest(%(phones)s::text[]) AS p (phone)",
                       {**params, "phones": phones})
        assert [row[0] for row in cursor.fetchall()] == [phone_hash(phone) for phone in phones]
