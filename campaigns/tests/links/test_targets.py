"""The redirect's per-process cache of campaign targets (services/links/targets.py): no query once a campaign is
known, never another campaign's URL when recipient ids of two campaigns interleave."""

import pytest

from campaigns.models import CampaignLink, CampaignRecipient
from campaigns.services.links.codes import RECIPIENT, code_make, one_off_codes
from campaigns.services.links.redirect import link_target
from campaigns.tests.support.factories import CampaignFactory, ShopFactory
from campaigns.tests.support.send_helpers import enqueued_batch

pytestmark = pytest.mark.django_db


def _code(recipient_id: int, position: int = 0) -> str:
    return code_make(kind=RECIPIENT, position=position, ident=recipient_id)


def test_once_a_campaign_is_known_its_other_recipients_redirect_without_a_query(no_dispatch,
                                                                                 django_assert_num_queries):
    _, campaign, _ = enqueued_batch(5, body="Sale: https://shop.example/sale and https://shop.example/new")
    first, *others = CampaignRecipient.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
    assert link_target(_code(first)).campaign_id == campaign.id

    with django_assert_num_queries(0):
        targets = [link_target(_code(rid, position=1)) for rid in others]

    assert [(t.campaign_id, t.recipient_id, t.position) for t in targets] == [(campaign.id, rid, 1) for rid in others]
    assert {t.url for t in targets} == {
        f"https://shop.example/new?utm_source=shopsms&utm_medium=sms&utm_campaign={campaign.id}"}


def test_interleaved_recipient_ids_of_two_campaigns_each_lead_to_their_own_campaign(no_dispatch):
    shop = ShopFactory()
    campaigns = [CampaignFactory(shop=shop, status="sending") for _ in range(2)]
    for campaign in campaigns:
        CampaignLink.objects.create(campaign=campaign, position=0, url=f"https://shop.example/c{campaign.id}")
    ids = {}
    for n in range(6):  # ids alternate between the two campaigns
        campaign = campaigns[n % 2]
        ids[CampaignRecipient.objects.create(campaign=campaign, phone=f"+1555000{n:04d}", batch_no=0).id] = campaign

    for _ in range(2):  # the second pass is answered with both campaigns cached
        for rid, campaign in ids.items():
            target = link_target(_code(rid))
            assert (target.campaign_id, target.url.split("?")[0]) == (campaign.id, f"https://shop.example/c{campaign.id}")


def test_a_recipient_that_does_not_exist_is_none_also_beside_a_cached_campaign(no_dispatch):
    _, campaign, _ = enqueued_batch(2, body="Sale: https://shop.example/sale")
    last = CampaignRecipient.objects.filter(campaign=campaign).order_by("id").last().id
    assert link_target(_code(last)) is not None

    assert link_target(_code(last + 1)) is None
    assert link_target(_code(last, position=1)) is None


def test_a_test_sends_link_follows_the_editable_campaigns_current_url(no_dispatch):
    campaign = CampaignFactory(shop=ShopFactory(), status="draft")
    link = CampaignLink.objects.create(campaign=campaign, position=0, url="https://shop.example/old")
    (code,) = one_off_codes(campaign_id=campaign.id, count=1)
    assert link_target(code).url.startswith("https://shop.example/old?")

    CampaignLink.objects.filter(id=link.id).update(url="https://shop.example/new")

    assert link_target(code).url.startswith("https://shop.example/new?")


def test_a_campaigns_urls_are_read_again_after_the_ttl_with_one_query(no_dispatch, monkeypatch,
                                                                      django_assert_num_queries):
    from campaigns.services.links import targets

    _, campaign, _ = enqueued_batch(3, body="Sale: https://shop.example/sale")
    first, second, _ = CampaignRecipient.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
    assert link_target(_code(first)) is not None
    CampaignLink.objects.filter(campaign=campaign).delete()  # as shop/redact erases the campaign's data
    assert link_target(_code(second)) is not None  # still cached

    later = targets.time.monotonic() + targets.TARGET_TTL_S + 1
    monkeypatch.setattr(targets.time, "monotonic", lambda: later)
    with django_assert_num_queries(1):
        assert link_target(_code(second)) is None
