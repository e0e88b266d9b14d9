"""GET /campaigns/{id}/status (counters only, cached) and GET /campaigns/{id}/recipients/ (cursor pages)."""

import time
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from campaigns.api.auth import api_key_create
from campaigns.models import CampaignRecipient
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.tests.support.factories import CampaignFactory, ShopFactory
from campaigns.tests.support.report_helpers import (
    campaign_with_recipients,
    cancel,
    message_id,
    recipient_ids,
    report,
    send_results,
)
from metrics import status as status_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(shop):
    """10 recipients: 6 accepted (4 then delivered, 1 then failed), 2 rejected, 2 queued."""
    campaign = campaign_with_recipients(10, shop=shop, name="Black Friday")
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids[:6], failed=ids[6:8])
    delivery_reports_apply(
        reports=[report(message_id(rid)) for rid in ids[:4]] + [report(message_id(ids[4]), "Failed")]
    )
    return campaign


def _status(api, campaign_id):
    return api.get(f"/api/v1/campaigns/{campaign_id}/status")


def test_the_status_answer_has_exactly_the_contract_shape(api, campaign):
    response = _status(api, campaign.id)
    assert response.status_code == 200
    assert response.json() == {
        "campaign": {
            "id": campaign.id,
            "name": "Black Friday",
            "status": "sending",
            "pausedReason": None,
            "total": 10,
            "sent": 5,
            "delivered": 4,
            "failed": 3,
            "processed": 8,
            "clicks": 0,
        },
        "metrics": {"queued": 2, "success": 5, "delivered": 4, "processed": 8, "failed": 3, "cancelled": 0, "held": 0},
    }


def test_cancelled_recipients_are_processed(api, campaign):
    cancel(campaign)
    body = _status(api, campaign.id).json()
    assert body["metrics"]["cancelled"] == 2 and body["metrics"]["queued"] == 0
    assert body["campaign"]["total"] == body["metrics"]["queued"] + body["campaign"]["processed"] == 10


def test_the_status_reads_one_row_never_the_recipients(api, campaign):
    with CaptureQueriesContext(connection) as queries:
        _status(api, campaign.id)
    status_queries = [q["sql"] for q in queries if "campaigns_campaign" in q["sql"]]
    assert len(status_queries) == 1
    assert "campaigns_campaignrecipient" not in " ".join(q["sql"] for q in queries)


def test_a_draft_without_counters_is_all_zero(api, shop):
    draft = CampaignFactory(shop=shop)
    body = _status(api, draft.id).json()
    assert body["campaign"] == {
        "id": draft.id,
        "name": draft.name,
        "status": "draft",
        "pausedReason": None,
        "total": 0,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "processed": 0,
        "clicks": 0,
    }
    assert set(body["metrics"].values()) == {0}


def test_another_shops_campaign_is_not_found(api):
    foreign = campaign_with_recipients(3)
    for campaign_id in (foreign.id, 10**12, 10**30):
        response = _status(api, campaign_id)
        assert response.status_code == 404
        assert response.json()["reason"] == "not_found"


def test_the_answer_is_served_from_cache_for_the_configured_time(api, campaign, settings):
    settings.STATUS_CACHE_SECONDS = 30
    assert _status(api, campaign.id).json()["campaign"]["delivered"] == 4
    delivery_reports_apply(reports=[report(message_id(recipient_ids(campaign)[5]))])
    assert _status(api, campaign.id).json()["campaign"]["delivered"] == 4

    settings.STATUS_CACHE_SECONDS = 0
    assert _status(api, campaign.id).json()["campaign"]["delivered"] == 5


def test_an_expired_cache_entry_is_not_served(api, campaign, settings, monkeypatch):
    settings.STATUS_CACHE_SECONDS = 0.5
    _status(api, campaign.id)
    delivery_reports_apply(reports=[report(message_id(recipient_ids(campaign)[5]))])
    later = time.time() + 1
    monkeypatch.setattr(status_module, "time", SimpleNamespace(time=lambda: later))
    assert _status(api, campaign.id).json()["campaign"]["delivered"] == 5


def test_a_cached_answer_is_never_given_to_another_shop(api, campaign, settings, anon_api):
    settings.STATUS_CACHE_SECONDS = 30
    assert _status(api, campaign.id).status_code == 200
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(shop=ShopFactory())}")
    assert _status(anon_api, campaign.id).status_code == 404


def test_status_needs_a_key(anon_api, campaign):
    assert _status(anon_api, campaign.id).status_code == 401


def _recipients(api, campaign_id, query=""):
    return api.get(f"/api/v1/campaigns/{campaign_id}/recipients/{query}")


def test_recipients_are_listed_with_their_delivery_fields(api, campaign):
    body = _recipients(api, campaign.id).json()
    first = body["results"][0]
    assert set(first) == {"id", "phone", "status", "error", "mitto_message_id", "sent_at", "delivered_at"}
    assert first["status"] == "delivered" and first["mitto_message_id"] == message_id(first["id"])
    assert [row["id"] for row in body["results"]] == recipient_ids(campaign)


def test_recipients_can_be_filtered_by_status(api, campaign):
    failed = _recipients(api, campaign.id, "?status=failed").json()["results"]
    assert [row["status"] for row in failed] == ["failed"] * 3
    assert {row["error"] for row in failed} == {"Invalid destination", "Failed"}


def test_an_invalid_status_filter_is_400(api, campaign):
    response = _recipients(api, campaign.id, "?status=bogus")
    assert response.status_code == 400
    assert response.json()["reason"] == "validation_error" and "status" in response.json()["errors"]


def test_recipients_are_paged_by_cursor(api, shop):
    campaign = campaign_with_recipients(25, shop=shop)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids[::2])
    seen, url = [], f"/api/v1/campaigns/{campaign.id}/recipients/?status=sent&page_size=5"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == ids[::2]
    assert CampaignRecipient.objects.filter(campaign=campaign, status="sent").count() == len(seen) == 13


def test_another_shops_recipients_are_not_found(api):
    foreign = campaign_with_recipients(3)
    response = _recipients(api, foreign.id)
    assert response.status_code == 404 and response.json()["reason"] == "not_found"


def test_a_cache_outage_falls_back_to_the_database(api, campaign, settings, monkeypatch):
    settings.STATUS_CACHE_SECONDS = 30

    def down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(status_module.cache, "get", down)
    response = _status(api, campaign.id)
    assert response.status_code == 200 and response.json()["campaign"]["delivered"] == 4
