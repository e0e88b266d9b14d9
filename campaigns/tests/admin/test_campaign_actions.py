import json

import pytest
import responses
from django.contrib.messages import get_messages

from campaigns.models import Campaign, CampaignRecipient
from campaigns.tests.support.admin_helpers import change, changelist, merchant_client
from campaigns.tests.support.send_helpers import (
    SEND_URL,
    add_contacts,
    bulk_bodies,
    funded_shop,
    mitto_accepts,
    sending_campaign,
)
from metrics.models import CampaignMetrics

pytestmark = pytest.mark.django_db


def act(client, action, campaign, **extra):
    return client.post(changelist("campaign"), {"action": action, "_selected_action": [campaign.id], "_confirm": "1",
                                                **extra}, follow=True)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)] or [str(m) for m in response.context["messages"]]


def test_refused_enqueue_shows_the_reason_and_changes_nothing():
    shop = funded_shop(1)
    add_contacts(shop, 3)
    campaign = sending_campaign(shop)
    response = act(merchant_client(shop), "send_now", campaign)
    assert any("was not done" in t and "needs 3 credits" in t for t in texts(response))
    assert not any("insufficient_credits" in t for t in texts(response))
    campaign.refresh_from_db()
    shop.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and (shop.credits, shop.credits_held) == (1, 0)
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()


def test_send_now_enqueues_through_the_service(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 3)
    campaign = sending_campaign(shop)
    response = act(merchant_client(shop), "send_now", campaign)
    assert any("sending has started" in t for t in texts(response))
    campaign.refresh_from_db()
    shop.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING and shop.credits_held == 3
    assert CampaignMetrics.objects.get(campaign=campaign).total == 3


@responses.activate
def test_send_now_sends_every_batch_and_the_detail_page_shows_full_progress(django_capture_on_commit_callbacks):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop)
    mitto_accepts()
    client = merchant_client(shop)
    with django_capture_on_commit_callbacks(execute=True):
        act(client, "send_now", campaign)
    assert sorted(m["destination"] for b in bulk_bodies() for m in b["messages"]) == ["+306910000000", "+306910000001"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    page = client.get(change("campaign", campaign.id)).content.decode()
    assert "100.0%" in page and 'data-counter="success">2<' in page


def test_pause_resume_cancel_go_through_the_lifecycle_services(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop)
    client = merchant_client(shop)
    act(client, "send_now", campaign)
    act(client, "pause", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    act(client, "resume", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    act(client, "cancel", campaign)
    campaign.refresh_from_db()
    shop.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED and shop.credits_held == 0
    refused = act(client, "pause", campaign)
    assert any("Pause “" in t and "was not done" in t for t in texts(refused))


def test_duplicate_creates_a_new_draft_of_the_same_shop():
    shop = funded_shop(100)
    campaign = sending_campaign(shop, name="Spring", status=Campaign.Status.COMPLETED, audience={"tags": ["vip"]})
    act(merchant_client(shop), "duplicate", campaign)
    copy = Campaign.objects.get(name="Spring (copy)")
    assert (copy.shop, copy.status, copy.body, copy.audience) == (shop, "draft", campaign.body, {"tags": ["vip"]})


@responses.activate
def test_send_test_asks_for_the_phone_then_sends_one_message():
    shop = funded_shop(100)
    campaign = sending_campaign(shop, body="Hello {{ first_name }}")
    client = merchant_client(shop)
    form = act(client, "send_test", campaign)
    assert b'name="phone"' in form.content
    responses.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})
    sent = act(client, "send_test", campaign, phone="+306912345678")
    assert any("sent to +306912345678" in t for t in texts(sent))
    body = json.loads(responses.calls[0].request.body)
    assert "+306912345678" in json.dumps(body)


def test_send_test_to_a_bad_number_shows_the_reason():
    shop = funded_shop(100)
    campaign = sending_campaign(shop)
    sent = act(merchant_client(shop), "send_test", campaign, phone="12")
    assert any("was not done: phone:" in t for t in texts(sent))


def test_editing_a_sending_campaign_is_not_possible(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 1)
    campaign = sending_campaign(shop, name="Locked")
    client = merchant_client(shop)
    act(client, "send_now", campaign)
    client.post(change("campaign", campaign.id), {"name": "Changed", "body": "x", "audience": ""})
    campaign.refresh_from_db()
    assert campaign.name == "Locked"


def test_detail_shows_preview_encoding_segments_and_estimated_cost():
    shop = funded_shop(100)
    add_contacts(shop, 4)
    campaign = sending_campaign(shop, body="Γειά {{ first_name }} " + "x" * 70)
    page = merchant_client(shop).get(change("campaign", campaign.id)).content.decode()
    assert "Γειά Alex" in page and "UCS-2" in page
    assert "8 credits (4 eligible contacts now, each message its own segments)" in page


def _form(campaign, **fields):
    return {"name": campaign.name, "body": campaign.body, "sender": "", "audience": "",
            "scheduled_at_0": "", "scheduled_at_1": "", **fields}


def test_scheduling_through_the_form_uses_campaign_update():
    shop = funded_shop(100)
    campaign = sending_campaign(shop)
    response = merchant_client(shop).post(change("campaign", campaign.id),
                                          _form(campaign, scheduled_at_0="2999-01-01", scheduled_at_1="10:00:00"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED and campaign.scheduled_at.year == 2999


def test_a_refused_change_shows_the_reason_and_saves_nothing():
    shop = funded_shop(100)
    campaign = sending_campaign(shop, body="Hi")
    response = merchant_client(shop).post(change("campaign", campaign.id), _form(campaign, body="Hi {{ coupon }}"))
    assert response.status_code == 200 and "coupon" in " ".join(response.context["adminform"].form.errors["body"])
    campaign.refresh_from_db()
    assert campaign.body == "Hi"


def test_the_measure_view_counts_segments_as_the_services_do():
    client = merchant_client(funded_shop(1))
    answer = client.get("/admin/campaigns/campaign/measure/", {"body": "x" * 161}).json()
    assert (answer["encoding"], answer["segments"]) == ("GSM-7", 2) and answer["words"].startswith("2 text messages")
    emoji = client.get("/admin/campaigns/campaign/measure/", {"body": "Sale 🎉"}).json()["words"]
    assert "emoji" in emoji and "70 characters" in emoji
    assert "error" in client.get("/admin/campaigns/campaign/measure/", {"body": "{{ coupon }}"}).json()


def test_a_campaign_past_draft_shows_no_save_buttons_a_draft_does():
    shop = funded_shop(100)
    add_contacts(shop, 2)
    draft, sent = sending_campaign(shop, name="draft"), sending_campaign(shop, name="sent")
    Campaign.objects.filter(id=sent.id).update(status=Campaign.Status.COMPLETED)
    client = merchant_client(shop)

    assert b'name="_save"' in client.get(change("campaign", draft.id)).content
    page = client.get(change("campaign", sent.id))
    assert page.status_code == 200 and b'name="_save"' not in page.content and b"sms-counters" in page.content
