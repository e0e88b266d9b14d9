"""Time is the shop's: a merchant types and reads schedules in the shop's time zone (a New York merchant typing
13:04 gets 13:04 New York time, not a refusal "in the past"); a superuser works in UTC."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import Campaign
from campaigns.tests.support.admin_helpers import change, merchant_client
from campaigns.tests.support.factories import CampaignFactory, ShopFactory

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def test_a_schedule_is_typed_and_shown_in_the_shops_time_zone():
    shop = ShopFactory(timezone="America/New_York")
    draft = CampaignFactory(shop=shop)
    client = merchant_client(shop)
    day = (datetime.now(NEW_YORK) + timedelta(days=1)).strftime("%Y-%m-%d")
    form = {"name": draft.name, "body": draft.body, "sender": "", "audience": "",
            "scheduled_at_0": day, "scheduled_at_1": "13:04:00"}
    assert client.post(change("campaign", draft.id), form).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.SCHEDULED
    assert draft.scheduled_at.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M") == f"{day} 13:04"
    page = client.get(change("campaign", draft.id))
    assert 'name="scheduled_at_1" value="13:04:00"' in page.content.decode()
    assert "America/New_York" in page.content.decode()


def test_a_shop_without_a_known_zone_works_in_utc():
    shop = ShopFactory(timezone="Not/AZone")
    page = merchant_client(shop).get(change("campaign", CampaignFactory(shop=shop).id))
    assert page.status_code == 200 and "(UTC)" in page.content.decode()
