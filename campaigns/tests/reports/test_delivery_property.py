"""Property: any sequence of send results, reports (repeated, reordered, early) and cancels leaves every
counter equal to the rows in that state, total = queued + processed, and each recipient where applying
the reports one at a time, forward-only, would leave it."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.models import CampaignRecipient
from campaigns.services.reports.delivery import delivery_reports_apply, unmatched_reports_reapply
from campaigns.tests.support.report_helpers import (
    campaign_with_recipients,
    cancel,
    counters,
    counters_from_rows,
    message_id,
    recipient_ids,
    report,
    send_results,
)
from messaging.models import UnmatchedReport
from metrics.models import CampaignMetrics

SIZE = 6
OUTCOMES = {"Delivered": "delivered", "Failed": "failed", "Expired": "failed", "Enroute": None, "Accepted": None}

send_step = st.tuples(st.just("send"), st.lists(st.tuples(st.integers(0, SIZE - 1), st.booleans()), max_size=SIZE))
report_step = st.tuples(
    st.just("reports"), st.lists(st.tuples(st.integers(0, SIZE - 1), st.sampled_from(sorted(OUTCOMES))), max_size=12)
)
steps = st.lists(st.one_of(send_step, report_step, st.just(("cancel", None)), st.just(("reapply", None))), max_size=12)


class Model:
    """Where each recipient must be: states, and stored reports of ids not yet known."""

    def __init__(self, ids):
        self.status = dict.fromkeys(ids, "queued")
        self.has_id = dict.fromkeys(ids, False)
        self.stored = {rid: [] for rid in ids}

    def send(self, results):
        for rid, accepted in results:
            if self.status[rid] == "queued":
                self.status[rid] = "sent" if accepted else "failed"
                self.has_id[rid] = accepted

    def reports(self, items):
        for rid, outcome in items:
            if not self.has_id[rid]:
                self.stored[rid].append(outcome)
            elif outcome and self.status[rid] == "sent":
                self.status[rid] = outcome

    def cancel(self):
        self.status = {rid: "cancelled" if s == "queued" else s for rid, s in self.status.items()}

    def reapply(self):
        for rid, outcomes in self.stored.items():
            if self.has_id[rid] and outcomes:
                final = next((o for o in outcomes if o), None)
                if final and self.status[rid] == "sent":
                    self.status[rid] = final
                self.stored[rid] = []


def _run(campaign, model, ids, kind, arg):
    if kind == "send":
        results = [(ids[i], accepted) for i, accepted in arg]
        send_results(campaign, sent=[r for r, ok in results if ok], failed=[r for r, ok in results if not ok])
        model.send(_first_per_recipient(results))
    elif kind == "reports":
        delivery_reports_apply(reports=[report(message_id(ids[i]), status) for i, status in arg])
        model.reports([(ids[i], OUTCOMES[status]) for i, status in arg])
    elif kind == "cancel":
        cancel(campaign)
        model.cancel()
    else:
        unmatched_reports_reapply()
        model.reapply()


def _first_per_recipient(results):
    """send_results applies `sent` before `failed`: a recipient in both ends sent."""
    accepted = {rid for rid, ok in results if ok}
    return [(rid, rid in accepted) for rid in dict.fromkeys(rid for rid, _ in results)]


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_counters_always_equal_the_rows(steps):
    UnmatchedReport.objects.all().delete()
    campaign = campaign_with_recipients(SIZE)
    ids = recipient_ids(campaign)
    model = Model(ids)
    for kind, arg in steps:
        _run(campaign, model, ids, kind, arg)
        assert counters(campaign) == counters_from_rows(campaign)
        row = CampaignMetrics.objects.get(campaign_id=campaign.id)
        assert row.total == row.queued + row.processed == SIZE
    statuses = dict(CampaignRecipient.objects.filter(campaign=campaign).values_list("id", "status"))
    assert statuses == model.status
