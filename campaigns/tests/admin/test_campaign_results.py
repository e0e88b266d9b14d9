"""The campaign page's results stay true: the live status keeps refreshing while delivery reports are awaited and
then says the final state, results are in words, a cancelled campaign's bar says how much went (never 100%), and
the credits the ledger actually moved are shown beside the estimate."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.tests.support.admin_helpers import change, merchant_client
from campaigns.tests.support.report_helpers import (
    campaign_with_recipients,
    cancel,
    message_id,
    recipient_ids,
    report,
    send_results,
)
from campaigns.tests.support.send_helpers import add_contacts, funded_shop, mitto_accepts, sending_campaign

pytestmark = pytest.mark.django_db


def status_of(client, campaign) -> dict:
    return client.get(f"/admin/campaigns/campaign/{campaign.id}/status/").json()


def test_a_finished_campaign_keeps_refreshing_until_every_report_is_in():
    campaign = campaign_with_recipients(3)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids[:2], failed=ids[2:])
    Campaign.objects.filter(id=campaign.id).update(status=Campaign.Status.COMPLETED, finished_at=timezone.now())
    client = merchant_client(campaign.shop)

    answer = status_of(client, campaign)["display"]
    assert answer["refresh"] is True and answer["state"].startswith("Completed · finished")
    assert answer["results"] == ("Delivered to 0 of 3 (0.0%) · 2 sent, awaiting the carrier's delivery report · "
                                 "1 failed.")

    delivery_reports_apply(reports=[report(message_id(rid), "Delivered") for rid in ids[:2]])
    answer = status_of(client, campaign)["display"]
    assert answer["refresh"] is False and answer["results"] == "Delivered to 2 of 3 (66.7%) · 1 failed."
    assert "Delivered to 2 of 3" in client.get(change("campaign", campaign.id)).content.decode()


def test_reports_are_no_longer_awaited_long_after_the_end():
    campaign = campaign_with_recipients(1)
    send_results(campaign, sent=recipient_ids(campaign))
    Campaign.objects.filter(id=campaign.id).update(status=Campaign.Status.COMPLETED,
                                                   finished_at=timezone.now() - timedelta(days=3))
    assert status_of(merchant_client(campaign.shop), campaign)["display"]["refresh"] is False


def test_a_cancelled_campaign_says_how_much_went_not_100_percent():
    campaign = campaign_with_recipients(4)
    send_results(campaign, sent=recipient_ids(campaign)[:1])
    cancel(campaign)
    Campaign.objects.filter(id=campaign.id).update(status=Campaign.Status.CANCELLED, finished_at=timezone.now())
    client = merchant_client(campaign.shop)
    display = status_of(client, campaign)["display"]
    assert display["percent"] == "Cancelled: 1 of 4 sent"
    assert "3 cancelled before sending" in display["results"]
    page = client.get(change("campaign", campaign.id)).content.decode()
    assert "Cancelled: 1 of 4 sent" in page and "100.0%" not in page


@responses.activate
def test_the_page_shows_what_the_ledger_actually_spent_and_refunded(django_capture_on_commit_callbacks):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop)
    mitto_accepts()
    client = merchant_client(shop)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/campaigns/campaign/{campaign.id}/send/", {"_confirm": "1"})
    first = campaign.recipients.order_by("id").first()
    delivery_reports_apply(reports=[report(first.mitto_message_id, "Undelivered", error="Absent subscriber")])
    page = client.get(change("campaign", campaign.id)).content.decode()
    assert 'Actually spent: <strong data-credits="spent">1</strong> credits (2 debited' in page
    assert "1 refunded" in page and "2 credits held at enqueue" in page


def test_another_shops_status_is_not_found():
    campaign = campaign_with_recipients(1)
    assert merchant_client(funded_shop(1)).get(f"/admin/campaigns/campaign/{campaign.id}/status/").status_code == 404
