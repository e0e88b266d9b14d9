"""Quiet hours in the send path: recipients whose local time is outside the shop's window are held (counted in
`held`, inside `queued`, sending/exclusions.py) and released by beat into new batches when their morning comes
(sending/held_release.py); time is frozen by moving campaigns.services.compliance.quiet_hours.now."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import responses

from campaigns.models import Batch, CampaignRecipient
from campaigns.services.compliance import quiet_hours as quiet
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.held_release import held_recipients_release
from campaigns.services.sending.lifecycle import campaign_cancel
from campaigns.tests.support.send_helpers import (
    add_contacts,
    bulk_bodies,
    funded_shop,
    ledger_matches,
    mitto_accepts,
    sending_campaign,
)
from metrics.models import CampaignMetrics

pytestmark = pytest.mark.django_db

ATHENS, NEW_YORK = ZoneInfo("Europe/Athens"), ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def enforced(settings, monkeypatch, no_dispatch):
    settings.QUIET_HOURS_ENFORCED = True

def _at(monkeypatch, moment: datetime):
    monkeypatch.setattr(quiet, "now", lambda: moment)

def _counters(campaign):
    m = CampaignMetrics.objects.get(campaign=campaign)
    return {"queued": m.queued, "held": m.held, "sent": m.sent, "cancelled": m.cancelled}

@responses.activate
def test_a_recipient_at_23_00_is_held_and_sent_when_its_morning_comes(monkeypatch):
    shop = funded_shop(100)
    greek = add_contacts(shop, 1)[0]  # Athens
    ny = add_contacts(shop, 1, start=1, timezone="America/New_York")[0]
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    mitto_accepts()
    # 23:00 in Athens = 16:00 in New York.
    _at(monkeypatch, datetime(2026, 6, 1, 23, 0, tzinfo=ATHENS))

    batch_send(batch_id=Batch.objects.get(campaign=campaign, number=0).id)

    assert [m["destination"] for m in bulk_bodies()[0]["messages"]] == [ny.phone]
    held = CampaignRecipient.objects.get(campaign=campaign, phone=greek.phone)
    assert (held.status, held.batch_no, held.held_until) == (
        "queued", -1, datetime(2026, 6, 2, 5, 0, tzinfo=UTC)
    )
    assert _counters(campaign) == {"queued": 1, "held": 1, "sent": 1, "cancelled": 0}
    campaign.refresh_from_db()
    assert campaign.status == "sending"

    _at(monkeypatch, datetime(2026, 6, 2, 7, 59, tzinfo=ATHENS))
    assert held_recipients_release() == {}
    _at(monkeypatch, datetime(2026, 6, 2, 8, 0, tzinfo=ATHENS))
    assert held_recipients_release() == {campaign.id: 1}
    assert _counters(campaign)["held"] == 0
    released = Batch.objects.get(campaign=campaign, number=1)
    assert (released.status, released.size) == ("queued", 1)

    batch_send(batch_id=released.id)

    assert [m["destination"] for m in bulk_bodies()[1]["messages"]] == [greek.phone]
    assert _counters(campaign) == {"queued": 0, "held": 0, "sent": 2, "cancelled": 0}
    campaign.refresh_from_db()
    shop.refresh_from_db()
    assert campaign.status == "completed"
    assert (shop.credits, shop.credits_held) == (98, 0)
    assert ledger_matches(shop)

@responses.activate
def test_cancelling_a_campaign_cancels_its_held_recipients_and_releases_their_credits(monkeypatch):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    mitto_accepts()
    _at(monkeypatch, datetime(2026, 6, 1, 3, 0, tzinfo=ATHENS))
    batch_send(batch_id=Batch.objects.get(campaign=campaign, number=0).id)
    assert bulk_bodies() == []
    assert _counters(campaign) == {"queued": 2, "held": 2, "sent": 0, "cancelled": 0}

    campaign_cancel(shop=shop, campaign_id=campaign.id)

    assert _counters(campaign) == {"queued": 0, "held": 0, "sent": 0, "cancelled": 2}
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (100, 0)
    assert ledger_matches(shop)
    _at(monkeypatch, datetime(2026, 6, 1, 9, 0, tzinfo=ATHENS))
    assert held_recipients_release() == {}

@responses.activate
def test_a_shop_whose_window_is_open_all_day_sends_at_23_00(monkeypatch):
    shop = funded_shop(100, quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))
    greek = add_contacts(shop, 1)[0]
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    mitto_accepts()
    _at(monkeypatch, datetime(2026, 6, 1, 23, 0, tzinfo=ATHENS))

    batch_send(batch_id=Batch.objects.get(campaign=campaign, number=0).id)

    assert [m["destination"] for m in bulk_bodies()[0]["messages"]] == [greek.phone]
    assert _counters(campaign)["held"] == 0
