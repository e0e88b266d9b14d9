from collections import Counter

import pytest
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.sending import dispatch
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.send_helpers import (
    add_contacts,
    api_for,
    enqueued_campaign,
    funded_shop,
    ledger_matches,
    run_concurrently,
    sending_campaign,
)
from metrics.models import CampaignMetrics


@pytest.fixture
def dispatched(monkeypatch):
    """Campaign ids whose dispatch the enqueue asked for (the broker is not involved here)."""
    calls = []
    monkeypatch.setattr(dispatch, "batches_dispatch_on_commit", lambda *, campaign_id: calls.append(campaign_id))
    return calls


@pytest.mark.django_db
def test_enqueue_materialises_consenting_recipients_into_batches_and_holds_credits(settings, dispatched):
    settings.SMS_BATCH_SIZE = 3
    shop = funded_shop(1000)
    add_contacts(shop, 7)
    add_contacts(shop, 2, start=100, sms_consent=False)
    add_contacts(shop, 1, start=200, opted_out_at=timezone.now())
    add_contacts(funded_shop(), 4, start=300)
    campaign = sending_campaign(shop, body="x" * 200)  # two GSM-7 segments

    result = campaign_enqueue(shop=shop, campaign_id=campaign.id)

    assert (result.created, result.batches) == (7, 3)
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    assert Counter(r.batch_no for r in recipients) == {0: 3, 1: 3, 2: 1}
    assert {r.status for r in recipients} == {"queued"}
    assert sorted(Batch.objects.filter(campaign=campaign).values_list("number", "size", "status")) == [
        (0, 3, "queued"), (1, 3, "queued"), (2, 1, "queued")
    ]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.segments, campaign.enqueued_at is not None) == ("sending", 2, True)
    metrics = CampaignMetrics.objects.get(campaign=campaign)
    assert (metrics.total, metrics.queued, metrics.processed) == (7, 7, 0)
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000 - 14, 14)
    assert ledger_matches(shop)
    assert dispatched == [campaign.id]


@pytest.mark.django_db
def test_batch_rows_count_the_recipients_when_a_phone_was_already_in_the_campaign(settings, dispatched):
    settings.SMS_BATCH_SIZE = 2
    shop = funded_shop()
    contacts = add_contacts(shop, 5)
    campaign = sending_campaign(shop)
    CampaignRecipient.objects.create(campaign=campaign, phone=contacts[2].phone, batch_no=9, status="cancelled")

    assert campaign_enqueue(shop=shop, campaign_id=campaign.id).created == 4
    queued = CampaignRecipient.objects.filter(campaign=campaign, status="queued")
    assert dict(Batch.objects.filter(campaign=campaign).values_list("number", "size")) == Counter(
        queued.values_list("batch_no", flat=True)
    )


@pytest.mark.django_db
def test_audience_tags_select_contacts_with_any_tag_once(dispatched):
    shop = funded_shop()
    both, vip, other, _ = add_contacts(shop, 4)
    for contact, tags in ((both, ["vip", "promo"]), (vip, ["vip"]), (other, ["other"])):
        contact.tags = tags
        contact.save()
    campaign = sending_campaign(shop, audience={"tags": ["vip", "promo"]})

    assert campaign_enqueue(shop=shop, campaign_id=campaign.id).created == 2
    assert set(CampaignRecipient.objects.filter(campaign=campaign).values_list("phone", flat=True)) == {
        both.phone, vip.phone
    }


@pytest.mark.django_db
def test_enqueue_answers_202_with_the_counts(settings, dispatched):
    settings.SMS_BATCH_SIZE = 2
    shop = funded_shop()
    add_contacts(shop, 5)
    campaign = sending_campaign(shop)
    response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue")
    assert response.status_code == 202
    assert response.json() == {
        "ok": True, "created": 5, "enqueuedJobs": 3, "campaignId": campaign.id, "skippedFrequencyCap": 0
    }


def _refusal(client, campaign_id):
    response = client.post(f"/api/v1/campaigns/{campaign_id}/enqueue")
    return response.status_code, response.json()["reason"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("other_shops_campaign", (404, "not_found")),
        ("missing_campaign", (404, "not_found")),
        ("already_sending", (409, "invalid_status")),
        ("shop_inactive", (403, "shop_inactive")),
        ("empty_body", (400, "invalid_body")),
        ("unknown_placeholder", (400, "invalid_body")),
        ("no_consenting_contact", (400, "no_recipients")),
        ("too_few_credits", (402, "insufficient_credits")),
    ],
)
def test_each_refusal_has_its_status_and_reason_and_changes_nothing(case, expected, dispatched):
    shop = funded_shop(credits=3 if case == "too_few_credits" else 1000)
    add_contacts(shop, 0 if case == "no_consenting_contact" else 4)
    add_contacts(shop, 2, start=50, sms_consent=False)
    body = {"empty_body": "  ", "unknown_placeholder": "Hi {{ city }}"}.get(case, "Hi {{ first_name }}")
    campaign = sending_campaign(shop, body=body, status="sending" if case == "already_sending" else "draft")
    campaign_id = {"other_shops_campaign": sending_campaign(funded_shop()).id, "missing_campaign": 999_999}.get(
        case, campaign.id
    )
    if case == "shop_inactive":
        type(shop).objects.filter(id=shop.id).update(is_active=False)

    assert _refusal(api_for(shop), campaign_id) == expected
    assert not CampaignRecipient.objects.exists() and not Batch.objects.exists()
    assert not CampaignMetrics.objects.exists()
    assert ledger_matches(shop) and shop.credits_held == 0
    assert dispatched == []


@pytest.mark.django_db
def test_a_second_enqueue_is_a_409_and_queues_nothing_twice(dispatched):
    shop = funded_shop()
    add_contacts(shop, 3)
    campaign = sending_campaign(shop)
    client = api_for(shop)
    assert client.post(f"/api/v1/campaigns/{campaign.id}/enqueue").status_code == 202
    assert _refusal(client, campaign.id) == (409, "invalid_status")
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 3
    shop.refresh_from_db()
    assert shop.credits_held == 3


@pytest.mark.django_db
def test_the_enqueue_endpoint_is_throttled_per_shop(settings, dispatched):
    settings.ENQUEUE_THROTTLE_RATE = "2/min"
    shop, other = funded_shop(), funded_shop()
    client = api_for(shop)
    statuses = [client.post("/api/v1/campaigns/999999/enqueue").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    throttled = client.post("/api/v1/campaigns/999999/enqueue")
    assert throttled.json()["reason"] == "rate_limited"
    assert api_for(other).post("/api/v1/campaigns/999999/enqueue").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_enqueues_of_one_campaign_create_one_set_of_recipients(dispatched):
    shop = funded_shop()
    add_contacts(shop, 50)
    campaign = sending_campaign(shop)
    enqueue = lambda: campaign_enqueue(shop=shop, campaign_id=campaign.id).created  # noqa: E731
    assert sorted(run_concurrently(enqueue, enqueue), key=str) == [50, "invalid_status"]
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 50
    assert ledger_matches(shop) and shop.credits_held == 50


@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_of_one_shop_cannot_overspend(dispatched):
    shop = funded_shop(150)
    add_contacts(shop, 100)
    first, second = sending_campaign(shop), sending_campaign(shop)
    outcomes = run_concurrently(
        lambda: campaign_enqueue(shop=shop, campaign_id=first.id).created,
        lambda: campaign_enqueue(shop=shop, campaign_id=second.id).created,
    )
    assert sorted(outcomes, key=str) == [100, "insufficient_credits"]
    assert ledger_matches(shop) and (shop.credits, shop.credits_held) == (50, 100)
    assert Campaign.objects.filter(status="sending").count() == 1


@pytest.mark.django_db
def test_deleting_a_shop_deletes_its_campaigns_recipients_without_a_database_constraint(dispatched):
    shop = funded_shop()
    campaign = enqueued_campaign(shop, 3)
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 3
    shop.delete()  # the recipients' link to their campaign has no constraint: Django's cascade removes them
    assert not CampaignRecipient.objects.filter(campaign_id=campaign.id).exists()
