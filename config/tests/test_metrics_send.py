"""A campaign sent through the real send path (Mitto faked by `responses`), its reports posted to the
webhook: /metrics, scraped before and after, moved by exactly what happened."""

import json
import time

import pytest
import requests
import responses
from django.test import Client

from campaigns.models import CampaignRecipient
from campaigns.tests.support.send_helpers import (
    BULK_URL,
    add_contacts,
    api_for,
    funded_shop,
    mitto_accepts,
    sending_campaign,
)
from config.tests.scrape import delta, scrape

pytestmark = pytest.mark.django_db

DLR_URL = "/webhooks/mitto/dlr"
TOKEN = {"X-Webhook-Token": "test-webhook-secret"}
REJECTED = "+306910000006"


@pytest.fixture
def waits(monkeypatch):
    """In-process retries wait as they would (the real sleep); each wait asked for is recorded."""
    asked, real_sleep = [], time.sleep

    def sleep(seconds):
        asked.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr("campaigns.services.sending.retry.time.sleep", sleep)
    return asked


def _send(shop, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue")
    assert response.status_code == 202, response.content


def _reports(campaign, *, failed: int):
    """Delivery reports for every accepted recipient: the first `failed` failed, the others delivered."""
    ids = CampaignRecipient.objects.filter(campaign=campaign, status="sent").order_by("id").values_list("id", flat=True)
    return [{"messageId": f"m-r:{rid}", "deliveryStatus": "Failed" if n < failed else "Delivered"}
            for n, rid in enumerate(ids)]


@responses.activate
def test_sending_and_reports_move_the_counters_by_what_happened(settings, django_capture_on_commit_callbacks):
    settings.SMS_BATCH_SIZE = 3
    shop = funded_shop(1000)
    add_contacts(shop, 7)  # +306910000000 … 06; the last is rejected by Mitto
    campaign = sending_campaign(shop)
    mitto_accepts(rejected_prefix=REJECTED)
    web = Client()
    deployment = settings.SMS_KEY_PREFIX
    before = scrape(web)

    _send(shop, campaign, django_capture_on_commit_callbacks)
    sent = scrape(web)
    with django_capture_on_commit_callbacks(execute=True):  # what is counted once committed
        posted = web.post(DLR_URL, data=json.dumps(_reports(campaign, failed=1)), content_type="application/json",
                          headers=TOKEN)
    after = scrape(web)

    assert posted.status_code == 202
    assert delta(before, sent, "shopsms_messages_total", deployment=deployment, outcome="accepted") == 6
    assert delta(before, sent, "shopsms_messages_total", deployment=deployment, outcome="rejected") == 1
    assert delta(before, sent, "shopsms_provider_request_seconds_count", deployment=deployment, endpoint="bulk",
                 outcome="ok") == 3
    assert delta(before, sent, "shopsms_batches_final_total", deployment=deployment, state="submitted") == 3
    assert delta(sent, after, "shopsms_delivery_reports_total", deployment=deployment, result="applied") == 6
    assert delta(sent, after, "shopsms_messages_total", deployment=deployment, outcome="delivered") == 5
    assert delta(sent, after, "shopsms_messages_total", deployment=deployment, outcome="failed") == 1
    assert delta(sent, after, "shopsms_delivery_report_lag_seconds_count", deployment=deployment) == 6
    assert delta(sent, after, "shopsms_http_request_seconds_count", deployment=deployment, endpoint="mitto_dlr",
                 status="202") == 1


@responses.activate
def test_each_wait_for_the_rate_limiter_is_counted(settings, waits, django_capture_on_commit_callbacks):
    settings.SMS_BATCH_SIZE = 2
    settings.RATE_LIMIT_TENANT_MAX = 1
    settings.RATE_LIMIT_TENANT_WINDOW_MS = 200
    shop = funded_shop(1000)
    add_contacts(shop, 4)
    campaign = sending_campaign(shop)
    mitto_accepts()
    web = Client()
    before = scrape(web)

    _send(shop, campaign, django_capture_on_commit_callbacks)
    after = scrape(web)

    assert len(waits) >= 1  # two batches, one request a window: the second waited
    assert delta(before, after, "shopsms_limiter_waits_total", deployment=settings.SMS_KEY_PREFIX) == len(waits)
    assert delta(before, after, "shopsms_messages_total", deployment=settings.SMS_KEY_PREFIX,
                 outcome="accepted") == 4


def _campaign_of(count: int):
    shop = funded_shop(1000)
    add_contacts(shop, count)
    return shop, sending_campaign(shop)


@responses.activate
def test_a_retried_a_failed_and_an_unknown_batch_are_counted(settings, waits, django_capture_on_commit_callbacks):
    settings.SMS_BATCH_SIZE = 2
    settings.SEND_RETRY_BASE_DELAY_S = 0.01
    settings.SEND_WINDOW_BATCHES = 1  # one batch at a time: the answers below meet the batches in order
    shop, campaign = _campaign_of(6)
    responses.post(BULK_URL, status=429, headers={"Retry-After": "0"})  # batch 0: retried …
    mitto_accepts()  # … then accepted
    responses.post(BULK_URL, status=400, json={"description": "bad sender"})  # batch 1: failed
    responses.post(BULK_URL, body=requests.ReadTimeout("no answer"))  # batch 2: unknown
    web = Client()
    deployment = settings.SMS_KEY_PREFIX
    before = scrape(web)

    _send(shop, campaign, django_capture_on_commit_callbacks)
    after = scrape(web)

    def moved(name, **labels):
        return delta(before, after, name, deployment=deployment, **labels)

    assert moved("shopsms_batch_retries_total", reason="rate_limited") == 1
    assert moved("shopsms_batches_final_total", state="submitted") == 1
    assert moved("shopsms_batches_final_total", state="failed") == 1
    assert moved("shopsms_batches_final_total", state="unknown") == 1
    assert moved("shopsms_messages_total", outcome="failed") == 2
    assert moved("shopsms_provider_request_seconds_count", endpoint="bulk", outcome="unknown") == 1
    assert moved("shopsms_provider_request_seconds_count", endpoint="bulk", outcome="rate_limited") == 1


@responses.activate
def test_a_cancelled_campaign_counts_its_batches_and_messages_cancelled(settings, django_capture_on_commit_callbacks):
    settings.SMS_BATCH_SIZE = 2
    shop, campaign = _campaign_of(5)
    web, api = Client(), api_for(shop)
    deployment = settings.SMS_KEY_PREFIX
    before = scrape(web)

    assert api.post(f"/api/v1/campaigns/{campaign.id}/enqueue").status_code == 202  # nothing dispatched (no commit)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/campaigns/{campaign.id}/cancel").status_code == 200
    after = scrape(web)

    assert delta(before, after, "shopsms_batches_final_total", deployment=deployment, state="cancelled") == 3
    assert delta(before, after, "shopsms_messages_total", deployment=deployment, outcome="cancelled") == 5
