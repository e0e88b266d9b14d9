"""Every place a body is measured or shown counts and shows its links as sent: the campaign's quoted segments,
the pre-flight's credits, the admin's preview, a test send."""

import json

import pytest
import responses
from django.conf import settings

from campaigns.admin.campaign_display import message_preview
from campaigns.models import Campaign
from campaigns.services.links.clicks import clicks_flush
from campaigns.services.links.codes import TEST_SEND, code_read
from campaigns.sms import LINK_CODE_SAMPLE
from campaigns.tests.support.send_helpers import SEND_URL, add_contacts, api_for, funded_shop

pytestmark = pytest.mark.django_db

LONG_URL = "https://shop.example/collections/winter-sale?" + "&".join(f"p{n}=value{n}" for n in range(20))
BODY = f"Winter sale: {LONG_URL}"


def test_a_long_url_is_quoted_at_its_short_length_by_the_api_and_the_preflight():
    shop = funded_shop(1000)
    add_contacts(shop, 2)
    api = api_for(shop)
    assert len(BODY) > 160
    created = api.post("/api/v1/campaigns/", {"name": "w", "body": BODY}, format="json").json()
    assert created["segments"] == 1
    preflight = api.get(f"/api/v1/campaigns/{created['id']}/preflight").json()
    assert preflight["creditsNeeded"] == 2


def test_the_admin_preview_shows_the_short_link():
    shop = funded_shop(10)
    preview = message_preview(Campaign(shop=shop, body=BODY))
    assert f"{settings.LINK_BASE_URL}/{LINK_CODE_SAMPLE}" in preview and "winter-sale" not in preview


@responses.activate
def test_a_test_send_carries_a_working_link_that_counts_no_click(client):
    shop = funded_shop(10)
    campaign = Campaign.objects.create(shop=shop, name="w", body=BODY)
    responses.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})
    answer = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/test", {"phone": "+306910000000"}, format="json")
    assert answer.status_code in (200, 201, 202), answer.content
    text = json.loads(responses.calls[0].request.body)["sms"]["text"]
    code = text.rsplit("/", 1)[1]
    assert code_read(code).kind == TEST_SEND
    assert client.get(f"/l/{code}")["Location"].startswith(LONG_URL + "&utm_source=shopsms")
    assert clicks_flush() == 0


@responses.activate
def test_each_recipients_held_segments_equal_its_sent_text_with_its_short_link(no_dispatch):
    """Exact credits (billing.pricing, in SQL at enqueue) count each link at its short length: the text sent with
    the recipient's own code costs exactly what was held for it (one part, where the URL typed would take two)."""
    from campaigns.models import CampaignRecipient
    from campaigns.services.sending.batch_send import batch_send
    from campaigns.sms import measure
    from campaigns.tests.support.send_helpers import bulk_bodies, enqueued_batch, mitto_accepts

    shop, campaign, batch = enqueued_batch(3, body="Hi {{ first_name }}, " + LONG_URL)
    held = dict(CampaignRecipient.objects.filter(campaign=campaign).values_list("id", "segments"))
    mitto_accepts()

    batch_send(batch_id=batch.id)

    sent = {int(m["reference"][2:]): measure(m["sms"]["text"]).segments for m in bulk_bodies()[0]["messages"]}
    assert sent == held == dict.fromkeys(held, 1)
