import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from campaigns.models import CreditTransaction, Shop
from campaigns.services.billing.ledger import (
    campaign_hold_release_remaining,
    campaign_hold_remaining,
    credits_debit,
    credits_debit_held,
    credits_hold,
    credits_release,
)
from campaigns.services.errors import DomainError
from campaigns.tests.support.send_helpers import funded_shop, ledger_matches, sending_campaign

pytestmark = pytest.mark.django_db


def balances(shop):
    shop.refresh_from_db()
    return shop.credits, shop.credits_held


def test_each_kind_moves_the_balances_it_documents_and_the_ledger_follows():
    shop = funded_shop(1000)
    campaign = sending_campaign(shop)
    credits_hold(shop_id=shop.id, amount=300, campaign_id=campaign.id)
    assert balances(shop) == (700, 300)
    credits_debit_held(shop_id=shop.id, amount=100, campaign_id=campaign.id)
    assert balances(shop) == (700, 200)
    credits_release(shop_id=shop.id, amount=50, campaign_id=campaign.id)
    assert balances(shop) == (750, 150)
    credits_debit(shop_id=shop.id, amount=5)
    assert balances(shop) == (745, 150)
    assert ledger_matches(shop)
    kinds = list(CreditTransaction.objects.filter(shop=shop).order_by("id").values_list("kind", "delta", "held_delta"))
    assert kinds == [
        ("topup", 1000, 0), ("hold", -300, 300), ("debit", 0, -100), ("release", 50, -50), ("debit", -5, 0)
    ]


def test_a_hold_beyond_the_free_balance_is_refused_and_changes_nothing():
    shop = funded_shop(10)
    with pytest.raises(DomainError) as refused:
        credits_hold(shop_id=shop.id, amount=11)
    assert refused.value.reason == "insufficient_credits"
    assert balances(shop) == (10, 0)
    assert CreditTransaction.objects.filter(shop=shop).count() == 1
    assert ledger_matches(shop)


def test_held_credits_cannot_be_spent_or_released_beyond_what_is_held():
    shop = funded_shop(10)
    credits_hold(shop_id=shop.id, amount=4)
    for move in (credits_debit_held, credits_release):
        with pytest.raises(DomainError):
            move(shop_id=shop.id, amount=5)
    assert balances(shop) == (6, 4)
    assert ledger_matches(shop)


def test_zero_moves_write_nothing():
    shop = funded_shop(10)
    credits_release(shop_id=shop.id, amount=0)
    credits_debit_held(shop_id=shop.id, amount=0)
    assert CreditTransaction.objects.filter(shop=shop).count() == 1


def test_a_campaigns_remaining_hold_is_what_its_ledger_rows_leave_held():
    shop = funded_shop(1000)
    campaign, other = sending_campaign(shop), sending_campaign(shop)
    credits_hold(shop_id=shop.id, amount=100, campaign_id=campaign.id)
    credits_hold(shop_id=shop.id, amount=7, campaign_id=other.id)
    credits_debit_held(shop_id=shop.id, amount=60, campaign_id=campaign.id)
    assert campaign_hold_remaining(campaign_id=campaign.id) == 40
    assert campaign_hold_release_remaining(shop_id=shop.id, campaign_id=campaign.id) == 40
    assert campaign_hold_remaining(campaign_id=campaign.id) == 0
    assert balances(shop) == (933, 7)
    assert ledger_matches(shop)


def test_the_database_itself_refuses_a_negative_balance():
    shop = funded_shop(5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.filter(id=shop.id).update(credits=F("credits") - 6)
