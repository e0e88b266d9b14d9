"""Unknown outcomes (sending/unknown.py): settled from delivery reports by reference, then failed for review."""

from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from campaigns.models import Batch, CampaignRecipient
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.unknown import unknown_batches_resolve
from campaigns.tests.support.send_helpers import (
    BULK_URL,
    enqueued_batch,
    ledger_matches,
    recipient_statuses,
    send_counters,
)
from messaging.models import UnmatchedReport

pytestmark = pytest.mark.django_db


@responses.activate
def test_unknown_recipients_are_settled_from_reports_by_reference_then_failed_for_review(no_dispatch, settings):
    shop, campaign, batch = enqueued_batch(4, body="x" * 200)
    responses.add(responses.POST, BULK_URL, body=requests.ReadTimeout("no answer"))
    batch_send(batch_id=batch.id)
    r = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id"))
    at = timezone.now()
    UnmatchedReport.objects.bulk_create([
        UnmatchedReport(message_id="m0", reference=f"r:{r[0].id}", outcome="", reported_at=at),
        UnmatchedReport(message_id="m0", reference=f"r:{r[0].id}", outcome="delivered", reported_at=at),
        UnmatchedReport(message_id="m1", reference=f"r:{r[1].id}", outcome="", reported_at=at),
        UnmatchedReport(message_id="m2", reference=f"r:{r[2].id}", outcome="failed", error="Expired", reported_at=at),
        UnmatchedReport(message_id="zz", reference="r:999999999", outcome="delivered", reported_at=at),
    ])

    assert unknown_batches_resolve() == {"resolved": 3, "given_up": 0}

    rows = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")
    assert [(x.status, x.mitto_message_id, x.error) for x in rows] == [
        ("delivered", "m0", ""), ("sent", "m1", ""), ("failed", "m2", "Expired"), ("queued", None, ""),
    ]
    assert send_counters(campaign) == {"total": 4, "queued": 1, "sent": 2, "failed": 1, "processed": 3}
    assert list(UnmatchedReport.objects.values_list("message_id", flat=True)) == ["zz"]
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000 - 8 + 2, 2) and ledger_matches(shop)

    review_over = timezone.now() - timedelta(seconds=settings.SEND_UNKNOWN_REVIEW_S + 1)
    Batch.objects.filter(id=batch.id).update(claimed_at=review_over)
    assert unknown_batches_resolve() == {"resolved": 0, "given_up": 1}
    assert recipient_statuses(campaign)[-1] == "failed"
    assert CampaignRecipient.objects.get(id=r[3].id).error == "outcome_unknown"
    batch.refresh_from_db()
    campaign.refresh_from_db()
    assert (batch.status, campaign.status) == ("unknown", "completed")
    shop.refresh_from_db()
    assert (shop.credits, shop.credits_held) == (1000 - 4, 0) and ledger_matches(shop)
    assert len(responses.calls) == 1
