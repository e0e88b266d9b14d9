"""The campaign form's live audience count: the merchant's own shop only (another shop's contacts and tags are
never counted, whatever is asked), the frequency limit applied as enqueue applies it, and bad input a 400 with
a reason, never a 500."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Contact
from campaigns.tests.support.admin_helpers import change, merchant_client, superuser_client
from campaigns.tests.support.send_helpers import funded_shop, sending_campaign

pytestmark = pytest.mark.django_db
URL = reverse("admin:campaigns_campaign_audience_count")


def contact(shop, n: int, tags: list[str], **fields) -> Contact:
    return Contact.objects.create(shop=shop, phone=f"+30691000{n:04d}", tags=tags,
                                  **{"sms_consent": True, **fields})


@pytest.fixture
def shops():
    """Shop A: 2 vip, 1 news, 1 vip without consent, 1 vip opted out. Shop B: 5 vip, 1 secret."""
    shop, other = funded_shop(10), funded_shop(10)
    contact(shop, 1, ["vip"])
    contact(shop, 2, ["vip", "news"])
    contact(shop, 3, ["news"])
    contact(shop, 4, ["vip"], sms_consent=False)
    contact(shop, 5, ["vip"], opted_out_at=timezone.now(), sms_consent=False)
    for n in range(5):
        contact(other, 10 + n, ["vip"])
    contact(other, 20, ["secret"])
    return shop, other


def ask(client, **params):
    return client.get(URL, params)


@pytest.mark.parametrize(("tags", "count"), [("vip", 2), ("news", 2), ("vip, news", 3), ("", 3), ("secret", 0),
                                             ("nobody", 0)])
def test_the_count_is_the_consenting_contacts_of_the_merchants_shop_with_any_tag(shops, tags, count):
    shop, _ = shops
    answer = ask(merchant_client(shop), tags=tags)
    assert answer.status_code == 200 and answer.json()["count"] == count


def test_naming_another_shop_or_its_campaign_still_counts_the_merchants_own(shops):
    shop, other = shops
    theirs = sending_campaign(other)
    answer = ask(merchant_client(shop), tags="vip", shop=other.id, campaign=theirs.id)
    assert answer.json()["count"] == 2


def test_a_superuser_counts_the_shop_chosen_or_the_opened_campaigns(shops):
    shop, other = shops
    client = superuser_client()
    assert ask(client, tags="vip", shop=other.id).json()["count"] == 5
    assert ask(client, tags="vip", campaign=sending_campaign(shop).id).json()["count"] == 2
    refused = ask(client, tags="vip")
    assert (refused.status_code, refused.json()["reason"]) == (400, "no_shop")


def test_the_words_name_the_tags_and_the_contacts_the_frequency_limit_leaves_out(shops):
    shop, _ = shops
    shop.frequency_cap_hours = 24
    shop.save(update_fields=["frequency_cap_hours"])
    earlier = sending_campaign(shop, status=Campaign.Status.COMPLETED, finished_at=timezone.now())
    CampaignRecipient.objects.create(campaign=earlier, phone="+306910000001", batch_no=0, status="sent",
                                     sent_at=timezone.now())
    answer = ask(merchant_client(shop), tags="vip").json()
    assert (answer["count"], answer["frequency_cap"], answer["tags"]) == (1, 1, ["vip"])
    assert answer["words"] == ("1 contact with the tag vip would get it now. 1 more left out: texted too recently "
                               "(your frequency limit).")


@pytest.mark.parametrize(("tags", "problem"), [("x" * 51, "at most 50 characters"),
                                               (",".join(f"t{n}" for n in range(51)), "At most 50 tags"),
                                               ("a," * 3000, "At most 4000 characters")])
def test_bad_input_is_a_400_with_a_reason(shops, tags, problem):
    shop, _ = shops
    answer = ask(merchant_client(shop), tags=tags)
    assert (answer.status_code, answer.json()["reason"]) == (400, "invalid_tags")
    assert problem in answer.json()["error"]


def test_the_form_loads_the_live_count_script(shops):
    shop, _ = shops
    client = merchant_client(shop)
    assert b"campaigns/admin_audience.js" in client.get(reverse("admin:campaigns_campaign_add")).content
    assert b"campaigns/admin_audience.js" in client.get(change("campaign", sending_campaign(shop).id)).content
