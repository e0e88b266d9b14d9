from metrics.models import CampaignMetrics
from metrics.services import deltas_for_transitions, metrics_apply_transitions, metrics_create


def test_send_results_move_queued_to_sent_and_failed():
    deltas = deltas_for_transitions({("queued", "sent"): 7, ("queued", "failed"): 3})
    assert deltas == {"queued": -10, "sent": 7, "failed": 3}


def test_a_failure_report_takes_a_message_out_of_sent():
    assert deltas_for_transitions({("sent", "failed"): 2}) == {"sent": -2, "failed": 2}
    assert deltas_for_transitions({("sent", "delivered"): 4}) == {"delivered": 4}


def test_counters_move_in_the_database(db):
    from campaigns.tests.support.factories import CampaignFactory

    campaign = CampaignFactory()
    metrics_create(campaign_id=campaign.id, total=10)
    metrics_apply_transitions(campaign_id=campaign.id, transitions={("queued", "sent"): 6, ("queued", "cancelled"): 4})
    metrics_apply_transitions(campaign_id=campaign.id, transitions={("sent", "delivered"): 5, ("sent", "failed"): 1})
    row = CampaignMetrics.objects.get(campaign_id=campaign.id)
    assert (row.total, row.queued, row.sent, row.delivered, row.failed, row.cancelled) == (10, 0, 5, 5, 1, 4)
    assert row.total == row.queued + row.processed
