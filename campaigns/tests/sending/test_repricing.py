"""A recipient whose names changed between enqueue and send is repriced before its batch's request."""

import pytest
import responses

from campaigns.models import CampaignRecipient, Contact
from campaigns.sms import measure
from campaigns.tests.support.pricing_helpers import debited, enqueued, segments_of, send_all, sent_texts
from campaigns.tests.support.send_helpers import ledger_matches, mitto_accepts

pytestmark = pytest.mark.django_db


@responses.activate
def test_a_name_grown_since_enqueue_is_held_the_difference_before_sending(no_dispatch):
    shop, campaign = enqueued([("Ann", "Lee"), ("Bob", "Ray")], credits=100)
    Contact.objects.filter(shop=shop, first_name="Ann").update(first_name="Αλέξανδρος Παπαδόπουλος")
    mitto_accepts()

    send_all(campaign)

    received = [measure(text).segments for text in sent_texts()]
    assert received == [2, 1]
    assert segments_of(campaign) == [2, 1]
    shop.refresh_from_db()
    assert (debited(shop), shop.credits, shop.credits_held) == (3, 97, 0)
    assert ledger_matches(shop)


@responses.activate
def test_a_name_grown_beyond_the_shops_credits_is_not_sent_and_its_credits_come_back(no_dispatch):
    # Holds 1 + 1: nothing left free.
    shop, campaign = enqueued([("Ann", "Lee"), ("Bob", "Ray")], credits=2, append_opt_out=False)
    Contact.objects.filter(shop=shop, first_name="Ann").update(first_name="😀" * 40)
    mitto_accepts()

    send_all(campaign)

    assert sent_texts() == ["Hi Bob Ray, our spring sale starts today: 20% off everything."]
    rows = CampaignRecipient.objects.filter(campaign=campaign).order_by("phone")
    assert [(r.status, r.error) for r in rows] == [("cancelled", "insufficient_credits"), ("sent", "")]
    shop.refresh_from_db()
    assert (debited(shop), shop.credits, shop.credits_held) == (1, 1, 0)
    campaign.refresh_from_db()
    assert campaign.status == "completed"
    assert ledger_matches(shop)


@responses.activate
def test_a_name_shortened_since_enqueue_releases_the_difference(no_dispatch):
    shop, campaign = enqueued([("Αλέξανδρος", "Παπαδόπουλος")], credits=10)
    Contact.objects.filter(shop=shop).update(first_name="Al", last_name="Pap")
    mitto_accepts()

    send_all(campaign)

    shop.refresh_from_db()
    assert (debited(shop), shop.credits, shop.credits_held) == (1, 9, 0)
    assert ledger_matches(shop)
