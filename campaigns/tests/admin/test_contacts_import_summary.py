"""The CSV import summary adds up: every row of the file is created, updated, a duplicate of a later row or
rejected (downloadable), and rows without consent are counted; a malformed prefix such as `++30…` is a row
error, never normalised into a number."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.admin import contacts_import
from campaigns.admin.contacts_import import csv_rows, import_rows
from campaigns.models import Contact
from campaigns.tests.support.admin_helpers import merchant_client
from campaigns.tests.support.factories import ShopFactory

pytestmark = pytest.mark.django_db

HEADER = "phone,first_name,last_name,sms_consent,tags\n"
CSV = HEADER + (
    "+306911111111,Anna,P,yes,vip\n"         # created
    "+306922222222,Nick,K,no,\n"             # created, without consent
    "+30 691 111 1111,Anna,Papa,yes,vip\n"   # the same phone as line 2 written otherwise: line 2 is a duplicate
    "++306933333333,Bad,Prefix,yes,\n"       # rejected: malformed prefix
    "+306944444444,Old,Contact,yes,\n"       # updated (exists already)
    "+306955555555,X,Y,maybe,\n"             # rejected: consent word
    "+306966666666,Eve,Z,no,\n"              # created, without consent
)
SUMMED = ("created", "updated", "duplicates")


def upload(client, shop, text: str):
    return client.post("/admin/campaigns/contact/import/",
                       {"shop": shop.id, "file": SimpleUploadedFile("c.csv", text.encode(), "text/csv")})


def total(report: dict) -> int:
    return sum(report[name] for name in SUMMED) + len(report["rejected"])


def test_every_row_is_counted_once_and_the_counts_add_up_to_the_files_rows():
    shop = ShopFactory(default_region="GR")
    Contact.objects.create(shop=shop, phone="+306944444444", sms_consent=False)
    page = upload(merchant_client(shop), shop, CSV)
    report = page.context["report"]
    assert report["rows"] == 7 and total(report) == 7
    assert (report["created"], report["updated"], report["duplicates"]) == (3, 1, 1)
    assert report["imported"] == 4 and report["without_consent"] == 2
    assert [r["line"] for r in report["rejected"]] == [5, 7]
    summary = page.content.decode()
    assert "7 rows in the file" in summary and "1 duplicate:" in summary and "2 without consent to texts" in summary
    assert Contact.objects.get(shop=shop, phone="+306911111111").last_name == "Papa"  # the last row wins


def test_a_doubled_plus_is_a_row_error_naming_the_problem_and_nothing_is_written():
    shop = ShopFactory(default_region="GR")
    page = upload(merchant_client(shop), shop, HEADER + "++306933333333,Bad,Prefix,yes,\n")
    (row,) = page.context["report"]["rejected"]
    assert row["line"] == 2 and "single +" in row["error"]
    assert not Contact.objects.filter(shop=shop).exists()


@pytest.mark.parametrize("phone", ["++306933333333", "+-306933333333", "..306933333333", "*306933333333",
                                   "+306933333333+", "+30+6933333333"])
def test_malformed_prefixes_are_rejected_not_normalised(phone):
    shop = ShopFactory(default_region="GR")
    report = import_rows(shop=shop, parsed=csv_rows(HEADER + f"{phone},A,B,yes,\n"))
    assert len(report["rejected"]) == 1 and report["imported"] == 0
    assert not Contact.objects.filter(shop=shop).exists()


@pytest.mark.parametrize("phone", ["+30 693 333 3333", "(+30) 6933333333", "6933333333", "0030 6933333333"])
def test_well_written_numbers_are_still_imported(phone):
    shop = ShopFactory(default_region="GR")
    report = import_rows(shop=shop, parsed=csv_rows(HEADER + f"{phone},A,B,yes,\n"))
    assert report["created"] == 1 and not report["rejected"]
    assert Contact.objects.filter(shop=shop, phone="+306933333333").exists()


def test_a_duplicate_in_another_chunk_is_a_duplicate_not_an_update(monkeypatch):
    """Chunks of 2 rows: the phone of line 2 comes back in the second chunk; the file's counts still add up,
    and the consent of the last row decides whether it is counted without consent."""
    monkeypatch.setattr(contacts_import, "MAX_BULK_ROWS", 2)
    shop = ShopFactory(default_region="GR")
    text = HEADER + ("+306911111111,A,B,no,\n+306922222222,C,D,yes,\n+306933333333,E,F,yes,\n"
                     "+306911111111,A,B,yes,\n+306944444444,G,H,no,\n")
    report = import_rows(shop=shop, parsed=csv_rows(text))
    assert (report["created"], report["updated"], report["duplicates"], len(report["rejected"])) == (4, 0, 1, 0)
    assert report["rows"] == total(report) == 5 and report["without_consent"] == 1
    assert Contact.objects.get(shop=shop, phone="+306911111111").sms_consent is True


def test_the_rejected_rows_download_holds_each_rejected_row_with_its_reason():
    shop = ShopFactory(default_region="GR")
    client = merchant_client(shop)
    upload(client, shop, CSV)
    response = client.get("/admin/campaigns/contact/import/rejected.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    expected = [["5", "'++306933333333"], ["7", "'+306955555555"]]  # a leading ' : never run as a formula
    assert [row[:2] for row in rows[1:]] == expected
    assert "single +" in rows[1][-1]
