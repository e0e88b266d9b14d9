"""Legal sending windows stricter than the shop's (Florida, Maryland: 8:00–20:00 local): a Miami number at
20:30 is held even where the shop's window is open all day, a New York one is not; pre-flight counts the same
holds. Time is frozen by moving campaigns.services.compliance.quiet_hours.now, as in test_quiet_hours."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import responses

from campaigns.models import Batch, CampaignRecipient, Contact
from campaigns.services.compliance import quiet_hours as quiet
from campaigns.services.compliance.quiet_laws import FLORIDA, MARYLAND, legal_window, recipient_window
from campaigns.services.sending.batch_send import batch_send
from campaigns.tests.support.send_helpers import api_for, bulk_bodies, funded_shop, mitto_accepts, sending_campaign

NEW_YORK = ZoneInfo("America/New_York")
MIAMI, BALTIMORE, MANHATTAN, ATHENS = "+13055550123", "+14105550123", "+12125550123", "+306912345678"


def test_the_law_is_read_off_the_area_code():
    assert (legal_window(MIAMI), legal_window(BALTIMORE)) == (FLORIDA, MARYLAND)
    assert legal_window(MANHATTAN) is None and legal_window(ATHENS) is None


@pytest.mark.parametrize(("shop_window", "phone", "window"), [
    ((time(8), time(21)), MIAMI, (time(8), time(20))),  # narrowed to the law
    ((time(9), time(19)), MIAMI, (time(9), time(19))),  # the shop's is stricter already
    ((time(0), time(0)), MIAMI, (time(8), time(20))),  # open all day: the law still applies
    ((time(21), time(23)), MIAMI, (time(8), time(20))),  # no overlap: the law, never looser
    ((time(22), time(6)), MIAMI, (time(8), time(20))),  # spans midnight: the law
    ((time(8), time(21)), MANHATTAN, (time(8), time(21))),
    ((time(0), time(0)), MANHATTAN, None),  # open all day, no law: any hour
])
def test_a_recipients_window_is_the_shops_narrowed_by_the_law(shop_window, phone, window):
    assert recipient_window(*shop_window, phone) == window


@pytest.fixture
def half_past_eight_pm_in_new_york(settings, monkeypatch, no_dispatch):
    settings.QUIET_HOURS_ENFORCED = True
    monkeypatch.setattr(quiet, "now", lambda: datetime(2026, 6, 1, 20, 30, tzinfo=NEW_YORK))


@pytest.mark.django_db
@responses.activate
@pytest.mark.parametrize("shop_window", [(time(8), time(21)), (time(0), time(0))])
def test_a_florida_number_at_20_30_is_held_and_preflight_counted_it(half_past_eight_pm_in_new_york, shop_window):
    shop = funded_shop(100, quiet_hours_start=shop_window[0], quiet_hours_end=shop_window[1])
    for phone in (MIAMI, MANHATTAN):
        Contact.objects.create(shop=shop, phone=phone, sms_consent=True)
    campaign = sending_campaign(shop)
    api = api_for(shop)

    preflight = api.get(f"/api/v1/campaigns/{campaign.id}/preflight").json()
    api.post(f"/api/v1/campaigns/{campaign.id}/enqueue")
    mitto_accepts()
    batch_send(batch_id=Batch.objects.get(campaign=campaign, number=0).id)

    assert (preflight["messaged"], preflight["heldQuietHours"]) == (2, 1)
    assert [m["destination"] for m in bulk_bodies()[0]["messages"]] == [MANHATTAN]
    held = CampaignRecipient.objects.get(campaign=campaign, batch_no=CampaignRecipient.HELD_BATCH_NO)
    assert (held.phone, held.held_until) == (MIAMI, datetime(2026, 6, 2, 8, 0, tzinfo=NEW_YORK).astimezone(UTC))
