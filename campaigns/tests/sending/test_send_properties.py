"""Properties of the send path, checked against the Mitto simulator over HTTP (tasks in-process): whatever
the audience, batch size, rejections, provider faults and duplicate task deliveries, nobody is messaged
twice, every recipient ends processed, the counters add up and only accepted messages are paid for."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaigns.models import Batch, CampaignRecipient, Contact
from campaigns.services.sending import batch_send as sending
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tasks import send_batch
from campaigns.tests.support.send_helpers import add_contacts, funded_shop, ledger_matches, sending_campaign
from metrics.models import CampaignMetrics

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast(settings, monkeypatch):
    """No real waiting between attempts, and limits out of the way (they have tests of their own)."""
    settings.RATE_LIMIT_TENANT_MAX = settings.RATE_LIMIT_TRAFFIC_ACCOUNT_MAX = 1_000_000
    monkeypatch.setattr("campaigns.services.sending.retry.time.sleep", lambda seconds: None)


def run_campaign(shop, capture):
    campaign = sending_campaign(shop)
    with capture(execute=True):
        campaign_enqueue(shop=shop, campaign_id=campaign.id)
    campaign.refresh_from_db()
    return campaign


def assert_sent_once_and_accounted(campaign, shop, simulator):
    counts = simulator.destination_counts()
    assert set(counts.values()) <= {1}
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    assert {r.phone for r in rows if r.status == "sent"} == set(counts)
    assert {r.status for r in rows} <= {"sent", "failed"}
    m = CampaignMetrics.objects.get(campaign=campaign)
    sent, failed = (rows.filter(status=s).count() for s in ("sent", "failed"))
    assert (m.total, m.queued, m.sent, m.failed) == (len(rows), 0, sent, failed)
    assert m.total == m.queued + m.processed
    assert campaign.status == "completed"
    assert ledger_matches(shop) and shop.credits_held == 0
    assert shop.credits == 10_000 - sent * campaign.segments


@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contacts=st.integers(1, 25),
    batch_size=st.integers(1, 8),
    invalid=st.integers(0, 5),
    fail_share=st.sampled_from([0.0, 0.3, 0.7]),
    burst_429=st.integers(0, 3),
    redeliver=st.booleans(),
)
def test_nobody_is_messaged_twice_and_every_recipient_is_accounted_for(
    contacts, batch_size, invalid, fail_share, burst_429, redeliver,
    settings, fast, mitto_simulator, django_capture_on_commit_callbacks,
):
    settings.SMS_BATCH_SIZE = batch_size
    mitto_simulator.reset()
    mitto_simulator.configure(fail_5xx_share=fail_share, burst_429=burst_429)
    shop = funded_shop(10_000)
    add_contacts(shop, contacts)
    Contact.objects.bulk_create(  # numbers no network has: the provider rejects them
        Contact(shop=shop, phone=f"+1555000{n:04d}", sms_consent=True) for n in range(invalid)
    )
    campaign = run_campaign(shop, django_capture_on_commit_callbacks)
    if redeliver:
        for batch_id in Batch.objects.filter(campaign=campaign).values_list("id", flat=True):
            assert send_batch.apply(args=[batch_id]).get() == "skipped"
    shop.refresh_from_db()
    assert_sent_once_and_accounted(campaign, shop, mitto_simulator)


def test_a_task_dying_after_the_request_then_redelivered_sends_nothing_twice(
    fast, mitto_simulator, monkeypatch, django_capture_on_commit_callbacks
):
    shop = funded_shop(10_000)
    add_contacts(shop, 6)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    batch = Batch.objects.get(campaign=campaign)

    def die(**kwargs):
        raise SystemExit("killed after the answer, before the commit")

    with monkeypatch.context() as patch:
        patch.setattr(sending, "batch_apply_answer", die)
        with pytest.raises(SystemExit):
            send_batch.apply(args=[batch.id])
    assert send_batch.apply(args=[batch.id]).get() == "skipped"
    counts = mitto_simulator.destination_counts()
    assert len(counts) == 6 and set(counts.values()) == {1}


def test_a_phone_twice_in_the_audience_is_messaged_once(fast, mitto_simulator, django_capture_on_commit_callbacks):
    shop = funded_shop(10_000)
    contact, *_ = add_contacts(shop, 3)
    Contact.objects.filter(id=contact.id).update(tags=["vip", "promo"])
    Contact.objects.exclude(id=contact.id).update(tags=["vip"])
    campaign = sending_campaign(shop, audience={"tags": ["promo", "vip"]})
    with django_capture_on_commit_callbacks(execute=True):
        campaign_enqueue(shop=shop, campaign_id=campaign.id)
    assert mitto_simulator.destination_counts() == {c.phone: 1 for c in Contact.objects.filter(shop=shop)}
