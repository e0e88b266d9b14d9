"""Sending from the campaign page goes through a confirmation: recipients, exact credits, sender, the text as a
real contact gets it, the time in the shop's zone, warnings; nothing is sent or scheduled until confirmed, and
another shop's campaign is never reachable."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from campaigns.services.audience.preflight import campaign_preflight
from campaigns.tests.support.admin_helpers import change, changelist, merchant_client
from campaigns.tests.support.send_helpers import add_contacts, funded_shop, sending_campaign

pytestmark = pytest.mark.django_db


def send_url(campaign):
    return f"/admin/campaigns/campaign/{campaign.id}/send/"


def schedule_url(campaign):
    return f"/admin/campaigns/campaign/{campaign.id}/schedule/"


def test_the_campaign_page_offers_send_and_schedule_only_while_editable():
    shop = funded_shop(100)
    draft, done = sending_campaign(shop), sending_campaign(shop, status=Campaign.Status.COMPLETED)
    client = merchant_client(shop)
    assert send_url(draft).encode() in client.get(change("campaign", draft.id)).content
    assert schedule_url(draft).encode() in client.get(change("campaign", draft.id)).content
    assert send_url(done).encode() not in client.get(change("campaign", done.id)).content


def test_the_confirmation_shows_what_will_go_out_and_sends_nothing(no_dispatch):
    shop = funded_shop(100, append_opt_out=True, opt_out_text="Reply STOP to opt out", timezone="America/New_York")
    add_contacts(shop, 3)
    campaign = sending_campaign(shop, sender="Boutique")
    page = merchant_client(shop).get(send_url(campaign))
    summary = page.context["summaries"][0]
    body = page.content.decode()
    plan = campaign_preflight(shop=shop, campaign_id=campaign.id)
    assert summary.preflight.credits_needed == plan.credits_needed == 3
    assert 'data-confirm="recipients">3 contacts' in body and "3 credits" in body and "Boutique" in body
    assert summary.example_text.startswith("Hi F0, 20% off today") and "Reply STOP to opt out" in summary.example_text
    assert summary.example_is_real and "America/New_York" in body
    assert summary.send_at.utcoffset() == datetime.now(ZoneInfo("America/New_York")).utcoffset()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and not CampaignRecipient.objects.exists()


def test_confirming_sends_through_the_service(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop)
    response = merchant_client(shop).post(send_url(campaign), {"_confirm": "1"})
    assert response.status_code == 302 and response.url == change("campaign", campaign.id)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 2


def test_too_few_credits_is_warned_before_and_refused_at_confirm():
    shop = funded_shop(1)
    add_contacts(shop, 3)
    campaign = sending_campaign(shop)
    client = merchant_client(shop)
    assert "2 more are needed" in client.get(send_url(campaign)).content.decode()
    client.post(send_url(campaign), {"_confirm": "1"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_the_same_audience_texted_in_the_last_day_is_warned(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    first, second = sending_campaign(shop, name="Monday sale"), sending_campaign(shop, name="Again")
    client = merchant_client(shop)
    assert "sms-recent-warning" not in client.get(send_url(second)).content.decode()
    client.post(send_url(first), {"_confirm": "1"})
    CampaignRecipient.objects.filter(campaign=first).update(sent_at=timezone.now())
    page = client.get(send_url(second)).content.decode()
    assert "sms-recent-warning" in page and "Monday sale" in page and "2 of this audience" in page


def test_the_bulk_send_action_asks_first_and_sends_only_once_confirmed(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop)
    client = merchant_client(shop)
    asked = client.post(changelist("campaign"), {"action": "send_now", "_selected_action": [campaign.id]})
    assert asked.status_code == 200 and asked.context["summaries"][0].campaign.id == campaign.id
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    client.post(changelist("campaign"), {"action": "send_now", "_selected_action": [campaign.id], "_confirm": "1"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING


def test_scheduling_takes_the_shops_local_time_and_keeps_a_refused_time():
    shop = funded_shop(100, timezone="America/New_York")
    add_contacts(shop, 1)
    campaign = sending_campaign(shop)
    client = merchant_client(shop)
    local = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).replace(hour=13, minute=4)
    response = client.post(schedule_url(campaign), {"send_at": local.strftime("%Y-%m-%dT%H:%M"), "_confirm": "1"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert campaign.scheduled_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "13:04"

    past = (datetime.now(ZoneInfo("America/New_York")) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(schedule_url(campaign), {"send_at": past, "_confirm": "1"})
    assert refused.status_code == 200 and "has passed" in refused.content.decode()
    assert refused.context["form"]["send_at"].value() == past


def test_another_shops_campaign_cannot_be_confirmed_sent_or_scheduled(no_dispatch):
    mine, theirs = funded_shop(100), funded_shop(100)
    add_contacts(theirs, 2)
    foreign = sending_campaign(theirs)
    client = merchant_client(mine)
    assert client.get(send_url(foreign)).status_code == 404
    assert client.post(send_url(foreign), {"_confirm": "1"}).status_code == 404
    assert client.get(schedule_url(foreign)).status_code == 404
    client.post(changelist("campaign"), {"action": "send_now", "_selected_action": [foreign.id], "_confirm": "1"})
    foreign.refresh_from_db()
    assert foreign.status == Campaign.Status.DRAFT
