"""A message debited when Mitto accepted it and then reported failed is refunded: merchants never pay for it."""

import pytest

from campaigns.models import CreditTransaction
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.tests.support.report_helpers import (
    campaign_with_recipients,
    message_id,
    recipient_ids,
    report,
    send_results,
)
from campaigns.tests.support.send_helpers import ledger_matches

pytestmark = pytest.mark.django_db


def test_a_failure_report_refunds_the_message_once():
    campaign = campaign_with_recipients(3, segments=2, shop__credits=0)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids)
    failed = [report(message_id(ids[0]), "Failed"), report(message_id(ids[1]), "Delivered")]

    delivery_reports_apply(reports=failed)
    delivery_reports_apply(reports=failed)

    refunds = CreditTransaction.objects.filter(shop=campaign.shop, kind="refund")
    assert [(r.delta, r.held_delta, r.campaign_id) for r in refunds] == [(2, 0, campaign.id)]
    assert ledger_matches(campaign.shop)
    assert campaign.shop.credits == 2


def test_delivered_and_unknown_reports_refund_nothing():
    campaign = campaign_with_recipients(2, shop__credits=0)
    ids = recipient_ids(campaign)
    send_results(campaign, sent=ids)

    delivery_reports_apply(reports=[report(message_id(ids[0])), report("NOPE", "Failed")])

    assert not CreditTransaction.objects.filter(kind="refund").exists()
