"""Each recipient is held, debited, released and refunded the segments of its own rendered text."""

import pytest
import responses

from campaigns.models import Batch, CampaignRecipient, Contact, CreditTransaction
from campaigns.services.audience.preflight import campaign_preflight
from campaigns.services.errors import DomainError
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.lifecycle import campaign_cancel
from campaigns.sms import measure
from campaigns.tests.report_helpers import report
from campaigns.tests.send_helpers import bulk_bodies, funded_shop, ledger_matches, mitto_accepts, sending_campaign

pytestmark = pytest.mark.django_db

BODY = "Hi {{ first_name }} {{ last_name }}, our spring sale starts today: 20% off everything."
NAMES = [  # (first, last): what real customers are called, and what each costs rendered in BODY
    ("Ann", "Lee"),  # short GSM-7: 1
    ("Αλέξανδρος", "Παπαδόπουλος"),  # accented Greek: UCS-2, over 70 units: 2
    ("Αλέξανδρος-Κωνσταντίνος", "Παπαδόπουλος-Χατζηγεωργίου του Ιωάννη και της Μαρίας"),  # 3
    ("Zoë 😀🎉", "Smith"),  # emoji: UCS-2 with surrogate pairs
    ("王小明", None),  # Chinese, no last name
    ("Maximilian-Alexander", "Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausen-Bergerdorff"),  # long GSM-7: 2
    ("Jo{~}", "€uro"),  # extension characters: two septets each
]


def shop_with(names, credits=10_000, **shop_fields):
    shop = funded_shop(credits, **shop_fields)
    Contact.objects.bulk_create(
        Contact(shop=shop, phone=f"+30691{n:07d}", first_name=first or "", last_name=last or "", sms_consent=True)
        for n, (first, last) in enumerate(names)
    )
    return shop


def enqueued(names, credits=10_000, **shop_fields):
    shop = shop_with(names, credits, **shop_fields)
    campaign = sending_campaign(shop, body=BODY)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    return shop, campaign


def sent_texts() -> list[str]:
    return [message["sms"]["text"] for body in bulk_bodies() for message in body["messages"]]


def segments_of(campaign) -> list[int]:
    rows = CampaignRecipient.objects.filter(campaign=campaign).order_by("phone")
    return list(rows.values_list("segments", flat=True))


def send_all(campaign) -> None:
    for batch_id in Batch.objects.filter(campaign=campaign).order_by("number").values_list("id", flat=True):
        batch_send(batch_id=batch_id)


def debited(shop) -> int:
    return -sum(t.held_delta for t in CreditTransaction.objects.filter(shop=shop, kind="debit"))


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
