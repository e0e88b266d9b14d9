"""The ledger a merchant reads: one line per campaign (held, debited, released, refunded, net) with the balance
after it, the raw rows one click away, another shop's movements never shown."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from campaigns.models import CreditTransaction, Shop
from campaigns.services.billing.ledger import credits_topup
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.tests.support.admin_helpers import changelist, merchant_client
from campaigns.tests.support.report_helpers import report
from campaigns.tests.support.send_helpers import add_contacts, funded_shop, mitto_accepts, sending_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_with_a_refund(django_capture_on_commit_callbacks):
    """A shop topped up, one campaign sent to 3 (one message then failed: refunded), one more top-up."""
    shop = funded_shop(0)
    credits_topup(shop_id=shop.id, amount=50, note="bought")
    add_contacts(shop, 3)
    campaign = sending_campaign(shop, name="Spring sale")
    client = merchant_client(shop)
    responses.start()
    try:
        mitto_accepts()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/admin/campaigns/campaign/{campaign.id}/send/", {"_confirm": "1"})
    finally:
        responses.stop()
        responses.reset()
    first = campaign.recipients.order_by("id").first()
    delivery_reports_apply(reports=[report(first.mitto_message_id, "Undelivered", error="Absent subscriber")])
    credits_topup(shop_id=shop.id, amount=10, note="bought")
    return shop, campaign, client


def test_one_line_per_campaign_with_a_running_balance(sent_with_a_refund):
    shop, campaign, client = sent_with_a_refund
    page = client.get(changelist("credittransaction"))
    lines = page.context["lines"]
    line = next(line for line in lines if line["campaign_id"] == campaign.id)
    assert (line["held"], line["debited"], line["released"], line["refunded"], line["net"]) == (3, 3, 0, 1, -2)
    assert [line["kind"] for line in lines].count("campaign") == 1
    shop = Shop.objects.get(id=shop.id)
    assert lines[0]["balance"] == shop.credits == 58
    assert sum(line["net"] for line in lines) == shop.credits
    assert f'?campaign__id__exact={campaign.id}"' in page.content.decode()


def test_the_raw_rows_are_one_click_away(sent_with_a_refund):
    shop, campaign, client = sent_with_a_refund
    rows = client.get(changelist("credittransaction") + "?view=rows")
    assert rows.status_code == 200 and "lines" not in rows.context and rows.context["cl"].result_count >= 4
    one = client.get(changelist("credittransaction") + f"?campaign__id__exact={campaign.id}")
    assert {row.campaign_id for row in one.context["cl"].result_list} == {campaign.id}


def test_another_shops_movements_are_never_in_the_summary(sent_with_a_refund):
    _, campaign, _ = sent_with_a_refund
    other = funded_shop(0)
    credits_topup(shop_id=other.id, amount=7)
    lines = merchant_client(other).get(changelist("credittransaction")).context["lines"]
    assert [(line["kind"], line["net"]) for line in lines] == [("topup", 7)]


def test_rows_older_than_the_period_leave_the_summary_but_not_the_balance(sent_with_a_refund):
    shop, campaign, client = sent_with_a_refund
    first_topup = CreditTransaction.objects.filter(shop=shop, note="bought").order_by("id").first()
    CreditTransaction.objects.filter(id=first_topup.id).update(created_at=timezone.now() - timedelta(days=100))
    lines = client.get(changelist("credittransaction")).context["lines"]
    assert lines[0]["balance"] == 58 and lines[-1]["balance"] - lines[-1]["net"] == 50
