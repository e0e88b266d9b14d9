"""The admin's credits: the merchant's "Buy credits" page (packs, price per credit, balance, held credits, history;
a button creates the purchase in Shopify and redirects to its confirmation URL) and the superuser's "Add credits"
action on shops (a `topup`)."""

import pytest
import responses

from campaigns.models import CreditPurchase, CreditTransaction
from campaigns.tests.support.admin_helpers import changelist, merchant_client, superuser_client
from campaigns.tests.support.factories import ShopFactory
from campaigns.tests.support.purchase_helpers import GRAPHQL, created_answer, installed_shop, plan_answer

pytestmark = pytest.mark.django_db
BUY = "/admin/campaigns/creditpurchase/buy/"


def test_the_buy_page_shows_packs_price_per_credit_balance_held_and_history():
    shop = installed_shop(credits=300)
    type(shop).objects.filter(pk=shop.pk).update(credits_held=40)
    CreditPurchase.objects.create(shop=shop, credits=1000, price="12.00", currency="USD", status="declined",
                                  shopify_id="gid://shopify/AppPurchaseOneTime/9")
    CreditPurchase.objects.create(shop=ShopFactory(), credits=20000, price="200.00", currency="USD",
                                  shopify_id="gid://shopify/AppPurchaseOneTime/10")
    page = merchant_client(shop).get(BUY).content.decode()
    assert "<strong data-balance>300</strong>" in page and "<strong data-held>40</strong>" in page
    for credits, price, per_credit in (("1000", "12.00", "0.0120"), ("5000", "55.00", "0.0110"),
                                       ("20000", "200.00", "0.0100")):
        assert f"<td>{credits}</td><td>{price} USD</td><td>{per_credit} USD</td>" in page
        assert f'name="pack" value="{credits}"' in page
    assert page.count("data-purchase=") == 1 and "<td>declined</td>" in page


def test_buying_from_the_admin_redirects_to_shopifys_confirmation():
    shop = installed_shop()
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, GRAPHQL, json=plan_answer())
        rsps.add(responses.POST, GRAPHQL, json=created_answer(31))
        answer = merchant_client(shop).post(BUY, {"pack": "5000"})
    purchase = CreditPurchase.objects.get()
    assert answer.status_code == 302 and answer["Location"] == purchase.confirmation_url
    assert (purchase.shop, purchase.credits, purchase.status) == (shop, 5000, "pending")


@pytest.mark.parametrize("pack, message", [("4999", "invalid_pack"), ("lots", "Choose one of the packs.")])
def test_a_bad_pack_is_a_message_and_buys_nothing(pack, message):
    client = merchant_client(installed_shop())
    page = client.post(BUY, {"pack": pack}, follow=True).content.decode()
    assert message in page and not CreditPurchase.objects.exists()


def test_a_shop_not_installed_from_shopify_is_told_so():
    page = merchant_client(ShopFactory()).post(BUY, {"pack": "1000"}, follow=True).content.decode()
    assert "not_installed" in page and not CreditPurchase.objects.exists()


def test_the_return_shows_what_became_of_the_purchase():
    shop = installed_shop()
    purchase = CreditPurchase.objects.create(shop=shop, credits=5000, price="55.00", currency="USD",
                                             status="active", shopify_id="gid://shopify/AppPurchaseOneTime/4")
    page = merchant_client(shop).get(BUY, {"purchase": purchase.pk}).content.decode()
    assert 'data-returned="active"' in page and "5000 credits added" in page


def test_the_purchase_history_is_scoped_to_the_merchants_shop():
    shop, other = installed_shop(), ShopFactory()
    CreditPurchase.objects.create(shop=other, credits=1000, price="12.00", currency="USD")
    mine = CreditPurchase.objects.create(shop=shop, credits=5000, price="55.00", currency="USD")
    page = merchant_client(shop).get(changelist("creditpurchase")).content.decode()
    assert f"/admin/campaigns/creditpurchase/{mine.pk}/change/" in page and page.count("/change/") == 1
    assert "Buy credits" in page


def test_a_superuser_adds_credits_to_shops_as_a_topup():
    shops = [ShopFactory(credits=0), ShopFactory(credits=10)]
    client = superuser_client()
    form = {"action": "add_credits", "_selected_action": [shop.pk for shop in shops]}
    asked = client.post(changelist("shop"), form)
    assert asked.status_code == 200 and b"Add credits" in asked.content
    client.post(changelist("shop"), {**form, "credits": "500", "note": "launch gift"})
    for shop, expected in zip(shops, (500, 510), strict=True):
        shop.refresh_from_db()
        row = CreditTransaction.objects.filter(shop=shop).latest("id")
        assert shop.credits == expected and (row.kind, row.delta, row.note) == ("topup", 500, "launch gift")


def test_a_bad_amount_adds_nothing():
    shop = ShopFactory(credits=10)
    form = {"action": "add_credits", "_selected_action": [shop.pk], "credits": "0"}
    assert superuser_client().post(changelist("shop"), form).status_code == 200
    shop.refresh_from_db()
    assert shop.credits == 10


def test_a_merchant_cannot_add_credits():
    shop = ShopFactory(credits=10)
    client = merchant_client(shop)
    assert b"add_credits" not in client.get(changelist("shop")).content
    client.post(changelist("shop"), {"action": "add_credits", "_selected_action": [shop.pk], "credits": "500"})
    shop.refresh_from_db()
    assert shop.credits == 10 and CreditTransaction.objects.filter(shop=shop).count() == 1
