"""Pre-flight counts the recipients in their quiet hours right now (still messaged, later), and the send
path then holds exactly those; time is frozen by moving campaigns.services.compliance.quiet_hours.now, as in
test_quiet_hours."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import responses

from campaigns.models import Batch, CampaignRecipient, Contact
from campaigns.services.audience import members, quiet_count
from campaigns.services.audience.preflight import campaign_preflight
from campaigns.services.compliance import quiet_hours as quiet
from campaigns.services.sending.batch_send import batch_send
from campaigns.tests.support.send_helpers import api_for, funded_shop, mitto_accepts, sending_campaign
from metrics.models import CampaignMetrics

pytestmark = pytest.mark.django_db

ATHENS = ZoneInfo("Europe/Athens")
# 23:00 in Athens is 20:00 UTC: 10:00 in Honolulu, 16:00 in New York, 06:00 next day in Guam.
LATE_IN_ATHENS = datetime(2026, 6, 1, 23, 0, tzinfo=ATHENS)


@pytest.fixture(autouse=True)
def enforced(settings, monkeypatch, no_dispatch):
    settings.QUIET_HOURS_ENFORCED = True
    monkeypatch.setattr(quiet, "now", lambda: LATE_IN_ATHENS)


def _contact(shop, phone, **fields):
    return Contact.objects.create(shop=shop, phone=phone, sms_consent=True, **fields)


@responses.activate
def test_one_contact_at_23_00_and_one_at_10_00_preflight_says_one_held_and_the_send_holds_that_one():
    shop = funded_shop(100)
    greek = _contact(shop, "+306912345678")  # Athens: 23:00
    _contact(shop, "+18089561234")  # Honolulu: 10:00
    campaign = sending_campaign(shop)
    api = api_for(shop)

    preflight = api.get(f"/api/v1/campaigns/{campaign.id}/preflight").json()

    assert (preflight["messaged"], preflight["heldQuietHours"], preflight["creditsNeeded"]) == (2, 1, 2)
    assert preflight["excluded"] == {
        "no_consent": 0, "opted_out": 0, "duplicate": 0, "invalid_number": 0, "frequency_cap": 0,
    }
    assert api.post(f"/api/v1/campaigns/{campaign.id}/enqueue").json()["created"] == preflight["messaged"]
    mitto_accepts()
    batch_send(batch_id=Batch.objects.get(campaign=campaign, number=0).id)
    held = CampaignRecipient.objects.filter(campaign=campaign, batch_no=CampaignRecipient.HELD_BATCH_NO)
    assert list(held.values_list("phone", flat=True)) == [greek.phone]
    assert CampaignMetrics.objects.get(campaign=campaign).held == preflight["heldQuietHours"]


@responses.activate
def test_preflight_agrees_with_the_send_path_for_zones_of_every_kind():
    """A contact's own zone wins over its number's; a number in a multi-zone country whose zones straddle
    the window's edge (NANP now: Honolulu open, Guam closed) is decided per number, as at send time."""
    shop = funded_shop(100)
    phones_held = [
        _contact(shop, "+306912345001").phone,  # Athens 23:00
        _contact(shop, "+18089561235", timezone="Europe/Athens").phone,  # own zone: Athens
        _contact(shop, "+16715551234").phone,  # Guam 06:00
        _contact(shop, "+79161234567").phone,  # a Russian mobile: every Russian zone, some of them at night
    ]
    for phone in ("+12125551234", "+306912345002"):
        _contact(shop, phone, timezone="America/New_York" if phone.startswith("+30") else "")
    _contact(shop, "+18089561236", timezone="Not/AZone")  # an unknown zone: the number's (Honolulu 10:00)
    campaign = sending_campaign(shop)

    plan = campaign_preflight(shop=shop, campaign_id=campaign.id)

    assert (plan.messaged, plan.held_quiet_hours) == (7, 4)
    api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue")
    mitto_accepts()
    batch_send(batch_id=Batch.objects.get(campaign=campaign, number=0).id)
    held = CampaignRecipient.objects.filter(campaign=campaign, batch_no=CampaignRecipient.HELD_BATCH_NO)
    assert sorted(held.values_list("phone", flat=True)) == sorted(phones_held)


def test_single_zone_countries_are_counted_by_prefix_without_reading_the_numbers(monkeypatch):
    shop = funded_shop(100)
    Contact.objects.bulk_create(
        Contact(shop=shop, phone=f"+30691{n:07d}", sms_consent=True) for n in range(300)
    )
    campaign = sending_campaign(shop)

    def no_streaming(**kwargs):
        raise AssertionError("numbers were read one by one")

    monkeypatch.setattr(members, "audience_phones_streamed", no_streaming)
    assert campaign_preflight(shop=shop, campaign_id=campaign.id).held_quiet_hours == 300
    monkeypatch.setattr(quiet, "now", lambda: datetime(2026, 6, 1, 9, 0, tzinfo=ATHENS))
    assert campaign_preflight(shop=shop, campaign_id=campaign.id).held_quiet_hours == 0


def test_nothing_is_held_when_quiet_hours_do_not_apply(settings):
    shop = funded_shop(100, quiet_hours_start=time(0), quiet_hours_end=time(0))
    _contact(shop, "+306912345678")
    campaign = sending_campaign(shop)
    assert campaign_preflight(shop=shop, campaign_id=campaign.id).held_quiet_hours == 0
    shop.quiet_hours_end = time(21)
    shop.quiet_hours_start = time(8)
    shop.save()
    assert campaign_preflight(shop=shop, campaign_id=campaign.id).held_quiet_hours == 1
    settings.QUIET_HOURS_ENFORCED = False
    assert campaign_preflight(shop=shop, campaign_id=campaign.id).held_quiet_hours == 0


@pytest.mark.django_db(transaction=True)
def test_numbers_decided_one_by_one_stream_outside_a_transaction_too(monkeypatch):
    """In autocommit (a request without ATOMIC_REQUESTS) the server-side cursor still streams every chunk."""
    monkeypatch.setattr(quiet_count, "STREAM_CHUNK", 50)
    shop = funded_shop(100)
    Contact.objects.bulk_create(
        Contact(shop=shop, phone=f"+1212555{n:04d}", sms_consent=True) for n in range(120)
    )
    _contact(shop, "+16715551234")  # Guam 06:00
    campaign = sending_campaign(shop)
    plan = campaign_preflight(shop=shop, campaign_id=campaign.id)
    assert (plan.messaged, plan.held_quiet_hours) == (121, 1)
