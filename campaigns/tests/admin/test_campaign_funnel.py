"""The campaign page's funnel (admin/campaign_funnel.py): sent → delivered → clicked → ordered drawn as an inline
SVG chart, with clicks and revenue per message and per credit; another shop's campaign stays unreachable."""

from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from campaigns.services.links.attribution import OrderFacts, order_attribute
from campaigns.services.links.clicks import Click, clicks_apply
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.services.sending.batch_send import batch_send
from campaigns.tests.support.admin_helpers import change, merchant_client
from campaigns.tests.support.report_helpers import report
from campaigns.tests.support.send_helpers import enqueued_batch, mitto_accepts

pytestmark = pytest.mark.django_db


@responses.activate
def _sent_clicked_and_ordered():
    """Four messages sent (4 credits), three delivered, two people clicked (one twice) and a previewer once, one
    order after a click (30.00 EUR) and one after receiving only (12.50 EUR)."""
    shop, campaign, batch = enqueued_batch(4, body="Sale: https://shop.example/sale", default_region="GR")
    mitto_accepts()
    batch_send(batch_id=batch.id)
    recipients = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id"))
    delivery_reports_apply(reports=[report(r.mitto_message_id) for r in recipients[:3]])
    hour_ago = timezone.now() - timedelta(hours=1)
    CampaignRecipient.objects.filter(campaign=campaign).update(sent_at=hour_ago, delivered_at=hour_ago)
    now = timezone.now() - timedelta(minutes=5)
    clicks_apply(clicks=[Click(1, recipients[0].id, 0, now, False), Click(2, recipients[0].id, 0, now, False),
                         Click(3, recipients[1].id, 0, now, False), Click(4, recipients[2].id, 0, now, True)])
    for order_id, recipient, price in ((1, recipients[0], "30.00"), (2, recipients[2], "12.50")):
        order_attribute(shop=shop, order=OrderFacts(order_id, (recipient.phone,), timezone.now(), Decimal(price),
                                                     "EUR", False))
    return shop, campaign


def test_the_campaign_page_draws_the_funnel_and_its_revenue():
    shop, campaign = _sent_clicked_and_ordered()

    page = merchant_client(shop).get(change("campaign", campaign.id)).content.decode()

    assert '<svg class="sms-funnel"' in page
    for step, figure in (("sent", "4 (100.0%)"), ("delivered", "3 (75.0%)"), ("clicked", "2 (50.0%)"),
                         ("ordered", "2 (50.0%)")):
        assert f'data-step="{step}"/>' in page and f">{figure}</text>" in page
    assert ("3 clicks by 2 people (50.0% of the messages sent); 1 more by link previewers and scanners, not "
            "counted. 2 orders: 1 after a click, 1 after receiving the message only. 4 credits used.") in page
    for cell, value in (("total", "42.50"), ("click", "30.00"), ("receive", "12.50"), ("per-message", "10.63"),
                        ("per-credit", "10.63")):
        assert f'data-revenue="{cell}">{value}</td>' in page


def test_a_draft_has_no_funnel_and_another_shops_campaign_stays_unreachable():
    shop, campaign = _sent_clicked_and_ordered()
    other_shop, other_campaign = _sent_clicked_and_ordered()
    draft = Campaign.objects.create(shop=shop, name="Draft", body="Hi")
    client = merchant_client(shop)

    assert '<svg class="sms-funnel"' not in client.get(change("campaign", draft.id)).content.decode()
    opened = client.get(change("campaign", other_campaign.id))
    assert opened.status_code == 302 and opened.url == "/admin/"
    assert client.get(f"/admin/campaigns/campaign/{other_campaign.id}/status/").status_code == 404
