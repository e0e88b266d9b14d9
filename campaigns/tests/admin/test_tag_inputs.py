"""Tags and audiences are typed as words separated by commas, never JSON, and the audience picker counts who
each choice reaches."""

import pytest

from campaigns.models import Campaign, Contact
from campaigns.tests.support.admin_helpers import change, merchant_client
from campaigns.tests.support.factories import CampaignFactory
from campaigns.tests.support.send_helpers import add_contacts, funded_shop

pytestmark = pytest.mark.django_db


def test_contact_tags_are_typed_and_shown_comma_separated():
    shop = funded_shop(1)
    contact = add_contacts(shop, 1, tags=["vip", "newsletter"])[0]
    client = merchant_client(shop)
    assert 'value="vip, newsletter"' in client.get(change("contact", contact.id)).content.decode()
    form = {"phone": contact.phone, "first_name": "A", "last_name": "B", "sms_consent": "True",
            "tags": " vip , winter sale,vip "}
    assert client.post(change("contact", contact.id), form).status_code == 302
    assert Contact.objects.get(id=contact.id).tags == ["vip", "winter sale"]


def test_the_audience_is_typed_as_tags_and_empty_means_everyone():
    shop = funded_shop(1)
    client = merchant_client(shop)
    base = {"name": "Sale", "body": "Hi", "sender": "", "scheduled_at_0": "", "scheduled_at_1": ""}
    assert client.post("/admin/campaigns/campaign/add/", {**base, "audience": "vip, new"}).status_code == 302
    assert client.post("/admin/campaigns/campaign/add/", {**base, "audience": ""}).status_code == 302
    assert [c.audience for c in Campaign.objects.order_by("id")] == [{"tags": ["vip", "new"]}, {}]


def test_the_audience_picker_counts_each_choice_in_the_merchants_shop_only():
    shop, other = funded_shop(1), funded_shop(1)
    add_contacts(shop, 3, tags=["vip"])
    add_contacts(shop, 1, start=10, tags=["vip"], sms_consent=False)
    add_contacts(shop, 2, start=20, tags=["new"])
    add_contacts(other, 5, start=30, tags=["secret"])
    page = merchant_client(shop).get(change("campaign", CampaignFactory(shop=shop).id)).content.decode()
    assert "Everyone: 5 contacts. Tags: vip (3), new (2)." in page and "secret" not in page


def test_a_sent_campaigns_audience_reads_in_words_not_json():
    shop = funded_shop(1)
    sent = CampaignFactory(shop=shop, status=Campaign.Status.COMPLETED, audience={"tags": ["vip", "new"]})
    page = merchant_client(shop).get(change("campaign", sent.id)).content.decode()
    assert "Contacts tagged vip, new" in page and "{&quot;tags&quot;" not in page and 'name="audience"' not in page
