"""The campaign admin's pre-flight (the API's numbers, refusals shown as messages), the body's quoted size (the
preview, the typed-body counter and the pre-flight all measure `campaign_text`) and the exact credits (each
recipient's own message)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Contact
from campaigns.services.campaigns import campaign_create
from campaigns.tests.support.admin_helpers import change, merchant_client, superuser_client
from campaigns.tests.support.send_helpers import add_contacts, api_for, funded_shop, sending_campaign

pytestmark = pytest.mark.django_db


def preflight_shown(page: str) -> dict:
    """The pre-flight panel's cells in the API's shape."""
    cells = dict(re.findall(r'<td data-preflight="([^"]+)">([^<]*)</td>', page))
    shown = {"excluded": {}}
    for key, value in cells.items():
        value = value if key == "encoding" else int(value)
        if key.startswith("excluded."):
            shown["excluded"][key.removeprefix("excluded.")] = value
        else:
            shown[key] = value
    return shown


def _audience(shop):
    """3 messageable, 2 without consent, 1 opted out, 1 messaged within the frequency cap."""
    contacts = add_contacts(shop, 5)
    add_contacts(shop, 2, start=10, sms_consent=False)
    Contact.objects.filter(id=contacts[4].id).update(sms_consent=False, opted_out_at=timezone.now())
    earlier = sending_campaign(shop, status=Campaign.Status.COMPLETED, finished_at=timezone.now())
    CampaignRecipient.objects.create(campaign=earlier, contact=contacts[0], phone=contacts[0].phone, batch_no=0,
                                     status="delivered", sent_at=timezone.now() - timedelta(hours=1))


def test_the_campaign_page_shows_the_apis_preflight():
    shop = funded_shop(5, frequency_cap_hours=12, append_opt_out=True)
    _audience(shop)
    campaign = sending_campaign(shop, body="z" * 150)

    page = merchant_client(shop).get(change("campaign", campaign.id)).content.decode()

    api = api_for(shop).get(f"/api/v1/campaigns/{campaign.id}/preflight").json()
    assert api["messaged"] == 3 and api["segments"] == 2
    assert preflight_shown(page) == {k: v for k, v in api.items() if k not in ("ok", "campaignId")}
    assert "Not enough credits: 1 more needed." in page
    assert 'Buy credits</a>' in page and '<a href="/admin/campaigns/creditpurchase/buy/">' in page


def test_no_low_balance_warning_when_the_send_fits():
    shop = funded_shop(1000)
    _audience(shop)
    page = merchant_client(shop).get(change("campaign", sending_campaign(shop).id)).content.decode()
    assert "data-low-balance" not in page


def test_a_preflight_refusal_is_shown_as_a_message_not_a_server_error():
    shop = funded_shop(5)
    campaign = sending_campaign(shop)
    Campaign.objects.filter(id=campaign.id).update(body="Hi {{ coupon }}")

    response = merchant_client(shop).get(change("campaign", campaign.id))

    assert response.status_code == 200
    assert "Pre-flight refused (invalid_body): Unknown placeholder" in response.content.decode()


def test_the_segments_quoted_in_the_admin_are_the_segments_charged(no_dispatch):
    shop = funded_shop(100, append_opt_out=True, opt_out_text="Reply STOP to opt out")
    add_contacts(shop, 4)
    body = "x" * 150  # one segment bare, two with the opt-out language
    campaign = campaign_create(shop=shop, data={"name": "Sale", "body": body})
    client = merchant_client(shop)

    page = client.get(change("campaign", campaign.id)).content.decode()
    quoted = int(re.search(r'data-quoted-segments="(\d+)"', page).group(1))
    typed = client.get("/admin/campaigns/campaign/measure/", {"body": body}).json()
    preflight = api_for(shop).get(f"/api/v1/campaigns/{campaign.id}/preflight").json()

    assert "Reply STOP to opt out" in page
    assert quoted == typed["segments"] == preflight["segments"] == campaign.segments == 2
    assert api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue").status_code == 202
    shop.refresh_from_db()
    assert shop.credits_held == 4 * quoted


def test_a_superusers_typed_body_is_measured_with_the_chosen_or_opened_campaigns_shop():
    shop = funded_shop(0, append_opt_out=True)
    campaign = sending_campaign(shop)
    client, body = superuser_client(), "x" * 150
    measure = "/admin/campaigns/campaign/measure/"
    assert client.get(measure, {"body": body, "shop": shop.id}).json()["segments"] == 2
    assert client.get(measure, {"body": body, "campaign": campaign.id}).json()["segments"] == 2
    assert client.get(measure, {"body": body}).json()["segments"] == 1


def test_the_admin_shows_the_exact_credits_of_each_recipients_own_message_before_and_after_enqueue(no_dispatch):
    shop = funded_shop(100, append_opt_out=False)
    add_contacts(shop, 2)  # F0, F1: one segment each
    Contact.objects.create(shop=shop, phone="+306919999999", first_name="Αλέξανδρος", last_name="Παπαδόπουλος",
                           sms_consent=True)
    body = "Hi {{ first_name }} {{ last_name }}, our spring sale starts today: 20% off everything."
    campaign = sending_campaign(shop, body=body)
    client = merchant_client(shop)

    before = client.get(change("campaign", campaign.id)).content.decode()
    assert preflight_shown(before)["creditsNeeded"] == 4  # 1 + 1 + 2 (UCS-2, over 70 units)
    assert "4 credits (3 eligible contacts now, each message its own segments)" in before
    assert api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue").status_code == 202
    after = client.get(change("campaign", campaign.id)).content.decode()
    assert "4 credits held at enqueue (3 recipients, each message its own segments)" in after
