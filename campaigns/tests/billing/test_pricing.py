"""Each recipient is held, debited, released and refunded the segments of its own rendered text; the pre-flight
quotes that sum."""

import pytest
import responses

from campaigns.models import CampaignRecipient, Contact, CreditTransaction
from campaigns.services.audience.preflight import campaign_preflight
from campaigns.services.errors import DomainError
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.lifecycle import campaign_cancel
from campaigns.sms import measure
from campaigns.tests.support.pricing_helpers import (
    BODY,
    NAMES,
    debited,
    enqueued,
    segments_of,
    send_all,
    sent_texts,
    shop_with,
)
from campaigns.tests.support.report_helpers import report
from campaigns.tests.support.send_helpers import ledger_matches, mitto_accepts, sending_campaign

pytestmark = pytest.mark.django_db


@responses.activate
def test_long_greek_and_emoji_names_are_held_and_debited_exactly_what_mitto_received(no_dispatch):
    shop = shop_with(NAMES)
    campaign = sending_campaign(shop, body=BODY)
    quoted = campaign_preflight(shop=shop, campaign_id=campaign.id)
    mitto_accepts()

    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    shop.refresh_from_db()
    held = shop.credits_held
    send_all(campaign)

    received = [measure(text).segments for text in sent_texts()]
    assert len(received) == len(NAMES) and max(received) >= 2  # the names really made longer messages
    assert held == quoted.credits_needed == sum(received) > len(NAMES) * quoted.segments
    assert sorted(segments_of(campaign)) == sorted(received)
    shop.refresh_from_db()
    assert (debited(shop), shop.credits, shop.credits_held) == (sum(received), 10_000 - sum(received), 0)
    assert ledger_matches(shop)


def test_enqueue_refuses_when_the_free_credits_are_below_the_exact_sum_and_keeps_nothing(no_dispatch):
    shop = shop_with(NAMES[:2], credits=2, append_opt_out=False)  # 1 + 2 segments
    campaign = sending_campaign(shop, body=BODY)
    assert campaign_preflight(shop=shop, campaign_id=campaign.id).credits_needed == 3

    with pytest.raises(DomainError) as refused:
        campaign_enqueue(shop=shop, campaign_id=campaign.id)

    assert refused.value.reason == "insufficient_credits" and "3 credits" in str(refused.value)
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (2, 0)
    assert ledger_matches(shop)


@responses.activate
def test_a_failure_after_acceptance_refunds_that_recipients_own_segments(no_dispatch):
    shop, campaign = enqueued(NAMES[:2])
    mitto_accepts()
    send_all(campaign)
    greek = CampaignRecipient.objects.get(campaign=campaign, phone="+306910000001")
    assert greek.segments == 2

    delivery_reports_apply(reports=[report(greek.mitto_message_id, "Failed")])

    refunds = CreditTransaction.objects.filter(shop=shop, kind="refund").values_list("delta", flat=True)
    assert list(refunds) == [2]
    shop.refresh_from_db()
    assert shop.credits == 10_000 - 1
    assert ledger_matches(shop)


def test_cancel_releases_each_recipients_own_segments(no_dispatch):
    shop, campaign = enqueued(NAMES)
    shop.refresh_from_db()
    held = shop.credits_held
    assert held == sum(segments_of(campaign)) > len(NAMES)

    campaign_cancel(shop=shop, campaign_id=campaign.id)

    releases = CreditTransaction.objects.filter(shop=shop, kind="release").values_list("delta", flat=True)
    assert list(releases) == [held]
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (10_000, 0)
    assert ledger_matches(shop)


@responses.activate
def test_an_opt_out_since_enqueue_releases_that_recipients_own_segments(no_dispatch):
    shop, campaign = enqueued(NAMES[:2])
    Contact.objects.filter(shop=shop, phone="+306910000001").update(sms_consent=False)
    mitto_accepts()

    send_all(campaign)

    releases = CreditTransaction.objects.filter(shop=shop, kind="release", note="opted_out")
    assert list(releases.values_list("delta", flat=True)) == [2]
    shop.refresh_from_db()
    assert (debited(shop), shop.credits, shop.credits_held) == (1, 9_999, 0)
    assert ledger_matches(shop)
