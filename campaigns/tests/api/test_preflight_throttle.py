"""Pre-flight counts a whole audience, so each shop may ask for it only so often (PREFLIGHT_THROTTLE_RATE)."""

import pytest

from campaigns.models import Campaign
from campaigns.tests.support.send_helpers import add_contacts, api_for, funded_shop, sending_campaign

pytestmark = pytest.mark.django_db


def test_preflight_is_throttled_per_shop(settings):
    settings.PREFLIGHT_THROTTLE_RATE = "2/min"
    shop, other = funded_shop(100), funded_shop(100)
    add_contacts(shop, 3)
    campaign = sending_campaign(shop, status=Campaign.Status.DRAFT)
    client = api_for(shop)
    url = f"/api/v1/campaigns/{campaign.id}/preflight"
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    throttled = client.get(url)
    assert throttled.status_code == 429
    assert throttled.json()["reason"] == "rate_limited"
    assert "Retry-After" in throttled.headers
    other_campaign = sending_campaign(other, status=Campaign.Status.DRAFT)
    assert api_for(other).get(f"/api/v1/campaigns/{other_campaign.id}/preflight").status_code == 200
