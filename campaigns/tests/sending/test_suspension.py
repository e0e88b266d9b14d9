"""Suspended shops (API.md "Suspended shops"): nothing more is sent, no credit is lost, reads still work."""

import io
from datetime import timedelta

import pytest
import responses
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient, Shop, ShopifyInstall
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.scheduling import scheduled_campaigns_start
from campaigns.services.shopify_sync.install import shopify_uninstalled
from campaigns.tests.support.admin_helpers import changelist, merchant_client, superuser_client
from campaigns.tests.support.send_helpers import (
    SEND_URL,
    add_contacts,
    api_for,
    funded_shop,
    ledger_matches,
    mitto_accepts,
    sending_campaign,
)

pytestmark = pytest.mark.django_db


def suspend(shop, *extra) -> str:
    out = io.StringIO()
    call_command("suspend_shop", shop.domain, *extra, stdout=out)
    return out.getvalue()


def enqueued(shop, contacts: int) -> Campaign:
    add_contacts(shop, contacts)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    return campaign


def batch_ids(campaign) -> list[int]:
    return list(Batch.objects.filter(campaign=campaign).order_by("number").values_list("id", flat=True))


def held(shop) -> int:
    shop.refresh_from_db()
    return shop.credits_held


@responses.activate
def test_suspension_stops_a_sending_campaign_at_the_next_batch_keeping_its_credits_until_resumed(
    settings, no_dispatch, django_capture_on_commit_callbacks
):
    settings.SMS_BATCH_SIZE = 2
    shop = funded_shop(100)
    campaign = enqueued(shop, 5)
    mitto_accepts()
    first, second, third = batch_ids(campaign)
    assert batch_send(batch_id=first).status == "submitted"
    held_before = held(shop)

    assert "suspended; 1 sending campaign(s) paused" in suspend(shop)

    assert batch_send(batch_id=second).status == "paused"
    assert len(responses.calls) == 1
    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_reason) == ("paused", "shop_inactive")
    assert held(shop) == held_before == 3 and ledger_matches(shop)
    client = api_for(shop)
    status = client.get(f"/api/v1/campaigns/{campaign.id}/status").json()["campaign"]
    assert (status["status"], status["pausedReason"], status["sent"]) == ("paused", "shop_inactive", 2)
    assert client.get(f"/api/v1/campaigns/{campaign.id}/").json()["pausedReason"] == "shop_inactive"

    assert "reinstated" in suspend(shop, "--lift")
    campaign.refresh_from_db()
    assert campaign.status == "paused", "lifting resumes nothing: the merchant does"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/campaigns/{campaign.id}/resume").json()["status"] == "sending"
    for batch_id in (second, third):
        batch_send(batch_id=batch_id)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_reason) == ("completed", "")
    assert CampaignRecipient.objects.filter(campaign=campaign, status="sent").count() == 5
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (95, 0) and ledger_matches(shop)


@responses.activate
def test_a_batch_task_that_finds_the_shop_inactive_parks_its_batch_without_calling_mitto(no_dispatch):
    shop = funded_shop(100)
    campaign = enqueued(shop, 3)
    Shop.objects.filter(id=shop.id).update(is_active=False)  # suspended without the service (e.g. by SQL)
    (batch_id,) = batch_ids(campaign)
    Batch.objects.filter(id=batch_id).update(dispatched_at=timezone.now())

    assert batch_send(batch_id=batch_id).status == "paused"

    assert len(responses.calls) == 0
    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_reason) == ("paused", "shop_inactive")
    batch = Batch.objects.get(id=batch_id)
    assert (batch.status, batch.attempts, batch.dispatched_at) == ("queued", 0, None)
    assert held(shop) == 3 and ledger_matches(shop)


@responses.activate
def test_enqueue_resume_and_test_sends_are_refused_while_reads_work(no_dispatch):
    shop = funded_shop(100)
    paused = enqueued(shop, 2)
    draft = sending_campaign(shop)
    suspend(shop)
    client = api_for(shop)

    refused = [
        client.post(f"/api/v1/campaigns/{draft.id}/enqueue"),
        client.post(f"/api/v1/campaigns/{paused.id}/resume"),
        client.post(f"/api/v1/campaigns/{draft.id}/test", {"phone": "+306912345678"}, format="json"),
    ]

    assert [(r.status_code, r.json()["reason"]) for r in refused] == [(403, "shop_inactive")] * 3
    assert len(responses.calls) == 0
    for path in ("/api/v1/campaigns/", f"/api/v1/campaigns/{paused.id}/", f"/api/v1/campaigns/{paused.id}/status",
                 "/api/v1/contacts/", "/api/v1/shop"):
        assert client.get(path).status_code == 200, path
    assert client.post(f"/api/v1/campaigns/{paused.id}/cancel").json()["status"] == "cancelled"
    assert held(shop) == 0 and ledger_matches(shop)


def test_a_merchant_pause_says_so_and_only_a_paused_campaign_has_a_reason(no_dispatch):
    shop = funded_shop(100)
    campaign = enqueued(shop, 1)
    client = api_for(shop)
    assert client.get(f"/api/v1/campaigns/{campaign.id}/status").json()["campaign"]["pausedReason"] is None
    client.post(f"/api/v1/campaigns/{campaign.id}/pause")
    assert client.get(f"/api/v1/campaigns/{campaign.id}/").json()["pausedReason"] == "merchant"
    suspend(shop)
    campaign.refresh_from_db()
    assert campaign.paused_reason == "merchant", "a campaign the merchant paused keeps its reason"


def test_a_suspended_shops_due_scheduled_campaign_waits_scheduled_until_the_suspension_is_lifted(no_dispatch):
    shop = funded_shop(100)
    add_contacts(shop, 2)
    campaign = sending_campaign(shop, status="scheduled", scheduled_at=timezone.now() - timedelta(minutes=1))
    suspend(shop)
    assert scheduled_campaigns_start() == {"started": 0, "failed": 0}
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    suspend(shop, "--lift")
    assert scheduled_campaigns_start() == {"started": 1, "failed": 0}


def test_suspend_shop_twice_and_lift_twice_say_what_they_did():
    shop = funded_shop(1)
    assert "suspended;" in suspend(shop)
    assert "was suspended already" in suspend(shop)
    assert "reinstated" in suspend(shop, "--lift")
    assert "was not suspended" in suspend(shop, "--lift")


def test_suspend_shop_for_an_unknown_domain_is_an_error_with_exit_status_1():
    with pytest.raises(CommandError, match="No shop with domain 'nobody.example'") as refused:
        call_command("suspend_shop", "nobody.example", stdout=io.StringIO())
    assert refused.value.returncode == 1


def test_the_admin_suspends_through_the_service_and_shows_the_reason(no_dispatch):
    shop = funded_shop(100)
    campaign = enqueued(shop, 1)
    admin = superuser_client()
    admin.post(changelist("shop"), {"action": "suspend", "_selected_action": [shop.id]}, follow=True)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_reason) == ("paused", "shop_inactive")
    assert "paused: the shop is suspended" in merchant_client(shop).get(changelist("campaign")).content.decode()
    admin.post(changelist("shop"), {"action": "lift_suspension", "_selected_action": [shop.id]}, follow=True)
    shop.refresh_from_db()
    assert shop.is_active


def test_the_admins_test_send_is_refused_for_a_suspended_shop_and_calls_nothing():
    shop = funded_shop(100)
    campaign = sending_campaign(shop)
    suspend(shop)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, SEND_URL, json={"messages": [{"messageId": "m"}]})
        page = merchant_client(shop).post(
            changelist("campaign"), {"action": "send_test", "_selected_action": [campaign.id],
                                     "phone": "+306912345678", "_confirm": "1"}, follow=True,
        ).content.decode()
        assert len(mock.calls) == 0
    assert "was not done: The shop is suspended." in page


def test_a_shopify_uninstall_suspends_like_suspend_shop(no_dispatch):
    shop = funded_shop(100)
    campaign = enqueued(shop, 2)
    ShopifyInstall.objects.create(shop=shop, access_token="token", installed_at=timezone.now())

    assert shopify_uninstalled(domain=shop.domain)

    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_reason) == ("paused", "shop_inactive")
    assert held(shop) == 2 and ledger_matches(shop)
    assert ShopifyInstall.objects.get(shop=shop).suspended_by_uninstall
