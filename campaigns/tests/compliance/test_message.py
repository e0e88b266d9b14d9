"""The message rules (compliance/message.py): the shop's opt-out language in every message, counted in segments
and cost."""

import pytest
import responses

from campaigns.models import Campaign
from campaigns.services.sending.batch_send import batch_send
from campaigns.tests.support.send_helpers import (
    api_for,
    bulk_bodies,
    enqueued_contacts,
    funded_shop,
    mitto_accepts,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dispatch")]


@responses.activate
def test_the_shops_opt_out_language_is_appended_and_counted_in_segments_and_cost():
    shop = funded_shop(1000, append_opt_out=True, opt_out_text="Txt STOP to quit")
    _, campaign, batch = enqueued_contacts(shop, 2, body="y" * 150)  # 150 alone is one segment; +17 makes two
    mitto_accepts()

    assert (campaign.encoding, campaign.segments) == ("GSM-7", 2)
    shop.refresh_from_db()
    assert shop.credits_held == 4

    batch_send(batch_id=batch.id)

    texts = [m["sms"]["text"] for body in bulk_bodies() for m in body["messages"]]
    assert texts == ["y" * 150 + "\nTxt STOP to quit"] * 2
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000 - 4, 0)


@responses.activate
def test_the_default_opt_out_language_is_used_when_the_shop_has_no_text():
    shop = funded_shop(1000, append_opt_out=True)
    _, _, batch = enqueued_contacts(shop, 1, body="Sale on")
    mitto_accepts()

    batch_send(batch_id=batch.id)

    assert bulk_bodies()[0]["messages"][0]["sms"]["text"] == "Sale on\nReply STOP to opt out"


@responses.activate
def test_no_opt_out_language_when_the_shop_does_not_ask_for_it():
    shop = funded_shop(1000, opt_out_text="Txt STOP to quit")
    _, _, batch = enqueued_contacts(shop, 1, body="Sale on")
    mitto_accepts()

    batch_send(batch_id=batch.id)

    assert bulk_bodies()[0]["messages"][0]["sms"]["text"] == "Sale on"


def test_a_campaigns_segments_include_the_opt_out_language_from_creation():
    shop = funded_shop(0, append_opt_out=True)
    response = api_for(shop).post("/api/v1/campaigns/", {"name": "Sale", "body": "w" * 150}, format="json")
    assert response.status_code == 201
    assert Campaign.objects.get(id=response.json()["id"]).segments == 2
