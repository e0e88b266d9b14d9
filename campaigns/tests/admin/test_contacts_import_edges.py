"""CSV import edges: nothing a file holds is a 500. Extra cells, a field over the csv module's limit, a wrong
encoding and a file over the size limit each get a row error or a message naming the problem."""

import csv

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.admin.contacts_import import MAX_IMPORT_BYTES
from campaigns.models import Contact
from campaigns.tests.support.admin_helpers import merchant_client
from campaigns.tests.support.factories import ShopFactory

pytestmark = pytest.mark.django_db

HEADER = "phone,first_name,last_name,sms_consent,tags\n"


@pytest.fixture
def shop():
    return ShopFactory(default_region="GR")


@pytest.fixture
def client(shop):
    return merchant_client(shop)


def upload(client, shop, content: bytes, name="c.csv"):
    return client.post("/admin/campaigns/contact/import/",
                       {"shop": shop.id, "file": SimpleUploadedFile(name, content, "text/csv")})


def file_errors(page) -> list[str]:
    return page.context["form"].errors.get("file", [])


def test_a_row_with_more_cells_than_the_header_is_a_row_error_and_the_others_are_kept(client, shop):
    text = HEADER + "+306911111111,Anna,P,yes,vip,EXTRA,MORE\n" + "+306922222222,Nick,K,yes,\n"
    page = upload(client, shop, text.encode())
    assert page.status_code == 200
    report = page.context["report"]
    assert report["created"] == 1
    assert report["rejected"] == [{"line": 2, "phone": "+306911111111",
                                   "error": "2 more cell(s) than the header has columns."}]
    assert list(Contact.objects.filter(shop=shop).values_list("phone", flat=True)) == ["+306922222222"]


def test_a_field_over_the_csv_modules_limit_is_a_message_naming_the_line_and_nothing_is_imported(client, shop):
    huge = "x" * (csv.field_size_limit() + 10)
    text = HEADER + "+306922222222,Nick,K,yes,\n" + f'+306911111111,"{huge}",P,yes,\n'
    page = upload(client, shop, text.encode())
    assert page.status_code == 200
    assert page.context["report"] is None
    assert any("Line 3" in error and "field larger than field limit" in error for error in file_errors(page))
    assert not Contact.objects.filter(shop=shop).exists()


@pytest.mark.parametrize("encoding", ["utf-16", "cp1253"])
def test_a_file_in_another_encoding_is_a_clear_message(client, shop, encoding):
    page = upload(client, shop, (HEADER + "+306911111111,Αννα,Π,yes,\n").encode(encoding))
    assert page.status_code == 200
    assert any("not UTF-8" in error for error in file_errors(page))
    assert not Contact.objects.filter(shop=shop).exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, shop):
    row = "+306911111111,Anna,P,yes,vip\n"
    page = upload(client, shop, (HEADER + row * (MAX_IMPORT_BYTES // len(row) + 1)).encode())
    assert page.status_code == 200
    assert any("at most 10 MB" in error for error in file_errors(page))
    assert not Contact.objects.filter(shop=shop).exists()


def test_nul_bytes_and_a_lone_quote_are_never_a_500(client, shop):
    for text in (HEADER + "+306911111111,An\x00na,P,yes,\n", HEADER + '+306911111111,"Anna,P,yes,\n'):
        page = upload(client, shop, text.encode())
        assert page.status_code == 200
