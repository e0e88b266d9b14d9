"""The console speaks a merchant's language: human titles, refusals in sentences, phone search in any format,
no batch numbers or provider ids for merchants, CSV downloads of recipients, rejected import rows and a sample."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Batch, CampaignRecipient, CreditTransaction
from campaigns.tests.support.admin_helpers import change, changelist, merchant_client, superuser_client
from campaigns.tests.support.report_helpers import campaign_with_recipients, recipient_ids, send_results
from campaigns.tests.support.send_helpers import add_contacts, funded_shop

pytestmark = pytest.mark.django_db


def downloaded(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_every_object_has_a_human_title():
    campaign = campaign_with_recipients(1, name="Spring sale")
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    assert str(recipient) == f"{recipient.phone} in “Spring sale”: queued"
    batch = Batch(campaign=campaign, number=2, size=500)
    assert str(batch) == "Part 2 of “Spring sale” (500 messages, queued)"
    assert str(CreditTransaction(kind="hold", held_delta=30, delta=-30, campaign=campaign)) == (
        "Hold of 30 credits for “Spring sale”")
    contact = add_contacts(funded_shop(1), 1)[0]
    assert str(contact) == f"F0 L0 ({contact.phone})"


def test_phone_search_finds_a_number_written_any_way():
    shop = funded_shop(1, default_region="GR")
    contact = add_contacts(shop, 1)[0]  # +306910000000
    client = merchant_client(shop)
    for typed in ("+30 691 000 0000", "691-000-0000", "0030 6910000000"):
        shown = client.get(changelist("contact"), {"q": typed}).context["cl"].result_list
        assert [c.id for c in shown] == [contact.id], typed


def test_merchants_see_no_batch_numbers_nor_provider_ids():
    campaign = campaign_with_recipients(1)
    send_results(campaign, sent=recipient_ids(campaign))
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    page = merchant_client(campaign.shop).get(change("campaignrecipient", recipient.id)).content.decode()
    assert recipient.mitto_message_id not in page and "Batch no" not in page
    ops = superuser_client().get(change("campaignrecipient", recipient.id)).content.decode()
    assert recipient.mitto_message_id in ops


def test_recipients_download_as_csv_only_for_the_merchants_own_campaign():
    campaign = campaign_with_recipients(2)
    send_results(campaign, sent=recipient_ids(campaign)[:1])
    client = merchant_client(campaign.shop)
    rows = downloaded(client.get("/admin/campaigns/campaignrecipient/export/", {"campaign": campaign.id}))
    assert rows[0][:4] == ["phone", "first_name", "last_name", "status"]
    assert sorted(row[3] for row in rows[1:]) == ["queued", "sent"]
    other = campaign_with_recipients(1)
    assert client.get("/admin/campaigns/campaignrecipient/export/", {"campaign": other.id}).status_code == 404
    assert client.get("/admin/campaigns/campaignrecipient/export/", {"campaign": "x"}).status_code == 404


def test_an_imports_rejected_rows_and_a_sample_file_download():
    shop = funded_shop(1, default_region="GR")
    client = merchant_client(shop)
    sample = downloaded(client.get("/admin/campaigns/contact/import/sample.csv"))
    assert sample[0] == ["phone", "first_name", "last_name", "sms_consent", "tags"]
    text = "phone,first_name,sms_consent\n+306911111111,Anna,yes\nnot-a-phone,=HYPERLINK(1),yes\n"
    upload = SimpleUploadedFile("c.csv", text.encode(), content_type="text/csv")
    page = client.post("/admin/campaigns/contact/import/", {"file": upload, "shop": shop.id})
    assert "import/rejected.csv" in page.content.decode()
    rejected = downloaded(client.get("/admin/campaigns/contact/import/rejected.csv"))
    assert rejected[0] == ["csv_line", "phone", "reason"] and [row[0] for row in rejected[1:]] == ["3"]
    assert merchant_client(funded_shop(1)).get("/admin/campaigns/contact/import/rejected.csv").status_code == 404
