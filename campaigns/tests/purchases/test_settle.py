"""A purchase is credited exactly once, when the Admin API reads it ACTIVE, whichever of the merchant's return and
Shopify's webhook comes first, or twice, or before the purchase row is committed; declined and expired purchases
are recorded and credit nothing. The balance always equals the ledger's sum."""

import json
import threading

import pytest
import responses
from django.db import connection
from django.db.models import Sum
from django.test import Client

from campaigns.models import CreditPurchase, CreditTransaction, Shop
from campaigns.services.purchases import settle
from campaigns.services.purchases.buy import credit_purchase_start
from campaigns.services.purchases.settle import credit_purchase_apply, credit_purchase_notified
from campaigns.tests.support.purchase_helpers import (
    DOMAIN,
    GRAPHQL,
    created_answer,
    installed_shop,
    mock_node,
    plan_answer,
    purchase_gid,
)
from shopify.webhooks import sign_body

SECRET = "purchase-webhook-secret"


@pytest.fixture(autouse=True)
def app_secret(settings):
    settings.SHOPIFY_API_SECRET = SECRET


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def pending(shop, number: int = 77, credits: int = 5000) -> CreditPurchase:
    return CreditPurchase.objects.create(shop=shop, credits=credits, price="55.00", currency="USD",
                                         shopify_id=purchase_gid(number), confirmation_url="https://x.example/c")


def webhook(client, number: int, status: str, *, webhook_id: str):
    body = json.dumps({"app_purchase_one_time": {
        "admin_graphql_api_id": purchase_gid(number), "name": "5,000 SMS credits", "status": status,
        "admin_graphql_api_shop_id": "gid://shopify/Shop/1", "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:01:00Z"}}).encode()
    headers = {"X-Shopify-Topic": "app_purchases_one_time/update", "X-Shopify-Shop-Domain": DOMAIN,
               "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Hmac-Sha256": sign_body(body, SECRET)}
    answer = client.post("/webhooks/shopify", data=body, content_type="application/json", headers=headers)
    assert answer.status_code == 200


def merchant_returns(client, purchase: CreditPurchase, number: int = 77):
    answer = client.get(f"/shopify/purchases/{purchase.pk}/return", {"charge_id": str(number)})
    assert answer.status_code == 302 and answer["Location"].endswith(f"?purchase={purchase.pk}")
    return answer


def assert_credited(shop: Shop, purchase: CreditPurchase, credited: int) -> None:
    shop.refresh_from_db()
    purchase.refresh_from_db()
    rows = CreditTransaction.objects.filter(shop=shop, kind="purchase")
    assert [(row.delta, row.purchase_id) for row in rows] == ([(credited, purchase.pk)] if credited else [])
    assert shop.credits == (CreditTransaction.objects.filter(shop=shop).aggregate(total=Sum("delta"))["total"] or 0)


@pytest.mark.django_db
def test_webhook_then_return_credits_once(client, rsps, django_capture_on_commit_callbacks):
    shop = installed_shop(credits=100)
    purchase = pending(shop)
    mock_node(rsps, 77, "ACTIVE")
    with django_capture_on_commit_callbacks(execute=True):
        webhook(client, 77, "ACTIVE", webhook_id="w-1")
    assert_credited(shop, purchase, 5000)
    merchant_returns(client, purchase)
    assert_credited(shop, purchase, 5000)
    assert shop.credits == 5100 and purchase.status == "active" and purchase.decided_at is not None


@pytest.mark.django_db
def test_return_then_webhook_credits_once(client, rsps, django_capture_on_commit_callbacks):
    shop = installed_shop()
    purchase = pending(shop)
    mock_node(rsps, 77, "ACTIVE")
    merchant_returns(client, purchase)
    assert_credited(shop, purchase, 5000)
    with django_capture_on_commit_callbacks(execute=True):
        webhook(client, 77, "ACTIVE", webhook_id="w-1")
    assert_credited(shop, purchase, 5000)
    assert len(rsps.calls) == 1  # the webhook found the purchase decided: no second read


@pytest.mark.django_db
def test_two_webhooks_credit_once(client, rsps, django_capture_on_commit_callbacks):
    shop = installed_shop()
    purchase = pending(shop)
    mock_node(rsps, 77, "ACTIVE")
    for webhook_id in ("w-1", "w-2", "w-2"):
        with django_capture_on_commit_callbacks(execute=True):
            webhook(client, 77, "ACTIVE", webhook_id=webhook_id)
    assert_credited(shop, purchase, 5000)


@pytest.mark.django_db
def test_the_webhooks_word_is_not_taken_only_the_admin_apis(client, rsps, django_capture_on_commit_callbacks):
    shop = installed_shop()
    purchase = pending(shop)
    mock_node(rsps, 77, "PENDING")
    with django_capture_on_commit_callbacks(execute=True):
        webhook(client, 77, "ACTIVE", webhook_id="w-1")
    assert_credited(shop, purchase, 0)
    assert purchase.status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["DECLINED", "EXPIRED"])
def test_declined_and_expired_purchases_are_recorded_and_credit_nothing(client, rsps, status,
                                                                       django_capture_on_commit_callbacks):
    shop = installed_shop(credits=10)
    purchase = pending(shop)
    mock_node(rsps, 77, status)
    with django_capture_on_commit_callbacks(execute=True):
        webhook(client, 77, status, webhook_id="w-1")
    merchant_returns(client, purchase)
    assert_credited(shop, purchase, 0)
    assert purchase.status == status.lower() and purchase.decided_at is not None and shop.credits == 10
    assert credit_purchase_apply(purchase_id=purchase.pk, shopify_status="ACTIVE") == status.lower()
    assert_credited(shop, purchase, 0)


@pytest.mark.django_db
def test_a_return_naming_another_charge_is_404_and_checks_nothing(client, rsps):
    purchase = pending(installed_shop())
    for charge in ("78", "", "gid://shopify/AppPurchaseOneTime/77"):
        answer = client.get(f"/shopify/purchases/{purchase.pk}/return", {"charge_id": charge})
        assert answer.status_code == 404 and answer.json()["reason"] == "not_found"
    assert client.get("/shopify/purchases/999999/return", {"charge_id": "77"}).status_code == 404
    assert client.get(f"/shopify/purchases/{'9' * 40}/return", {"charge_id": "77"}).status_code == 404
    assert not rsps.calls


@pytest.mark.django_db
def test_a_return_while_shopify_is_down_leaves_the_purchase_pending(client, rsps, monkeypatch):
    monkeypatch.setattr("shopify.client.time.sleep", lambda seconds: None)
    rsps.add(responses.POST, GRAPHQL, status=503, json={"errors": "Service Unavailable"})
    shop = installed_shop()
    purchase = pending(shop)
    merchant_returns(client, purchase)
    assert_credited(shop, purchase, 0)
    assert purchase.status == "pending"


@pytest.mark.django_db
def test_a_notified_purchase_not_stored_is_checked_again_later(monkeypatch):
    installed_shop()
    later = []
    monkeypatch.setattr(settle, "task_publish", lambda name, *, args, **options: later.append((args, options)))
    assert credit_purchase_notified(shopify_id=purchase_gid(5), domain=DOMAIN) == "retry_later"
    assert later[0][0] == [purchase_gid(5), DOMAIN, 2] and later[0][1]["countdown"] == settle.RECHECK_DELAYS_S[0]
    last = len(settle.RECHECK_DELAYS_S) + 1
    assert credit_purchase_notified(shopify_id=purchase_gid(5), domain=DOMAIN, attempt=last) == "unknown"
    assert len(later) == 1


@pytest.mark.django_db
def test_another_shops_webhook_does_not_touch_the_purchase(rsps, monkeypatch):
    shop = installed_shop()
    purchase = pending(shop)
    monkeypatch.setattr(settle, "task_publish", lambda name, *, args, **options: None)
    assert credit_purchase_notified(shopify_id=purchase_gid(77), domain="other.myshopify.com") == "retry_later"
    assert_credited(shop, purchase, 0)
    assert not rsps.calls


@pytest.mark.django_db(transaction=True)
def test_a_webhook_before_the_purchase_row_commits_still_credits_once(client, rsps, monkeypatch):
    """Shopify's webhook is handled (in another thread, on its own connection) while the purchase's creation is
    still waiting for appPurchaseOneTimeCreate's answer: the row is not visible, so a later check is scheduled;
    it credits the pack once the row is committed, and the merchant's return afterwards changes nothing."""
    shop = installed_shop()
    later, seen = [], []
    monkeypatch.setattr(settle, "task_publish", lambda name, *, args, **options: later.append(args))

    def notified_meanwhile():
        try:
            seen.append(credit_purchase_notified(shopify_id=purchase_gid(77), domain=DOMAIN))
        finally:
            connection.close()

    def create_answer(request):
        thread = threading.Thread(target=notified_meanwhile)
        thread.start()
        thread.join(timeout=30)
        return 200, {}, json.dumps(created_answer(77))

    rsps.add(responses.POST, GRAPHQL, json=plan_answer())
    rsps.add_callback(responses.POST, GRAPHQL, callback=create_answer)
    purchase = credit_purchase_start(shop=shop, credits=5000)
    assert seen == ["retry_later"] and later == [[purchase_gid(77), DOMAIN, 2]]
    assert_credited(shop, purchase, 0)

    mock_node(rsps, 77, "ACTIVE")
    assert credit_purchase_notified(shopify_id=purchase_gid(77), domain=DOMAIN, attempt=2) == "active"
    assert_credited(shop, purchase, 5000)
    merchant_returns(client, purchase)
    assert_credited(shop, purchase, 5000)


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_credit_once(rsps):
    """Eight threads, each on its own PostgreSQL connection, read the purchase ACTIVE at once and apply it."""
    shop = installed_shop()
    purchase = pending(shop)
    mock_node(rsps, 77, "ACTIVE")
    start, outcomes = threading.Barrier(8), []

    def check():
        try:
            start.wait(timeout=30)
            outcomes.append(settle.credit_purchase_check(purchase_id=purchase.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["active"] * 8
    assert_credited(shop, purchase, 5000)


@pytest.mark.django_db
def test_the_ledger_refuses_a_second_row_for_one_purchase():
    from django.db import IntegrityError, transaction

    from campaigns.services.billing.ledger import credits_purchase

    shop = installed_shop()
    purchase = pending(shop)
    credits_purchase(shop_id=shop.pk, amount=5000, purchase_id=purchase.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        credits_purchase(shop_id=shop.pk, amount=5000, purchase_id=purchase.pk)
    shop.refresh_from_db()
    assert shop.credits == 5000


@pytest.mark.django_db
def test_beat_rechecks_pending_purchases_that_neither_return_nor_webhook_settled(rsps, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    shop = installed_shop()
    lost, declined, fresh, old = pending(shop, 77), pending(shop, 78), pending(shop, 79), pending(shop, 80)
    minutes = {lost: 5, declined: 5, fresh: 0, old: 60 * 24 * 8}
    for purchase, age in minutes.items():
        CreditPurchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(minutes=age))
    mock_node(rsps, 77, "ACTIVE")
    mock_node(rsps, 78, "DECLINED")
    assert settle.credit_purchases_recheck() == {"active": 1, "declined": 1}
    assert_credited(shop, lost, 5000)
    assert [CreditPurchase.objects.get(pk=p.pk).status for p in (declined, fresh, old)] == [
        "declined", "pending", "pending"]
    assert settle.credit_purchases_recheck() == {}


@pytest.mark.django_db
def test_a_credited_purchase_is_kept_while_its_ledger_row_is_but_goes_with_its_shop():
    from django.db.models import RestrictedError

    shop = installed_shop()
    purchase = pending(shop)
    credit_purchase_apply(purchase_id=purchase.pk, shopify_status="ACTIVE")
    with pytest.raises(RestrictedError):
        purchase.delete()
    shop.delete()
    assert not CreditPurchase.objects.exists() and not CreditTransaction.objects.exists()
