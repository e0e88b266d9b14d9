"""delivery_reports_apply: forward-only, duplicates, unknown ids kept and re-applied later."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.models import CampaignRecipient
from campaigns.services.reports import delivery_rows
from campaigns.services.reports.delivery import (
    ApplyResult,
    delivery_reports_apply,
    unmatched_reports_purge,
    unmatched_reports_reapply,
)
from campaigns.tests.support.report_helpers import (
    campaign_with_recipients,
    counters,
    counters_from_rows,
    message_id,
    recipient_ids,
    report,
    send_results,
)
from campaigns.webhooks.tasks import reapply_unmatched_reports
from messaging.models import UnmatchedReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_campaign():
    """Ten recipients, all accepted by the provider."""
    campaign = campaign_with_recipients(10)
    send_results(campaign, sent=recipient_ids(campaign))
    return campaign


def _recipient(rid):
    return CampaignRecipient.objects.get(id=rid)


def test_a_delivered_report_moves_the_recipient_and_the_counters(sent_campaign):
    rid = recipient_ids(sent_campaign)[0]
    at = datetime(2025, 12, 11, 8, 50, 4, 500099, tzinfo=UTC)

    result = delivery_reports_apply(reports=[report(message_id(rid), "Delivered", at=at)])

    assert result == ApplyResult(applied=1, unknown=0, ignored=0)
    assert (_recipient(rid).status, _recipient(rid).delivered_at) == ("delivered", at)
    assert counters(sent_campaign) == {**counters_from_rows(sent_campaign), "sent": 10, "delivered": 1}


def test_a_failed_report_keeps_the_providers_reason(sent_campaign):
    first, second = recipient_ids(sent_campaign)[:2]
    delivery_reports_apply(
        reports=[
            report(message_id(first), "Undelivered", error="Absent subscriber"),
            report(message_id(second), "Expired"),
        ]
    )
    assert (_recipient(first).status, _recipient(first).error) == ("failed", "Absent subscriber")
    assert (_recipient(second).status, _recipient(second).error) == ("failed", "Expired")
    assert counters(sent_campaign)["sent"] == 8 and counters(sent_campaign)["failed"] == 2


def test_a_late_delivered_after_failed_never_resurrects(sent_campaign):
    rid = recipient_ids(sent_campaign)[0]
    delivery_reports_apply(reports=[report(message_id(rid), "Failed")])

    result = delivery_reports_apply(reports=[report(message_id(rid), "Delivered")])

    assert result == ApplyResult(applied=0, unknown=0, ignored=1)
    assert _recipient(rid).status == "failed"
    assert counters(sent_campaign) == counters_from_rows(sent_campaign)


def test_a_delivered_recipient_never_goes_back(sent_campaign):
    rid = recipient_ids(sent_campaign)[0]
    delivery_reports_apply(reports=[report(message_id(rid), "Delivered")])
    delivery_reports_apply(reports=[report(message_id(rid), "Failed"), report(message_id(rid), "Enroute")])
    assert _recipient(rid).status == "delivered"
    assert counters(sent_campaign) == counters_from_rows(sent_campaign)


def test_repeated_reports_count_once(sent_campaign):
    ids = recipient_ids(sent_campaign)[:3]
    payload = [report(message_id(rid)) for rid in ids] * 3

    first = delivery_reports_apply(reports=payload)
    again = delivery_reports_apply(reports=payload)

    assert first == ApplyResult(applied=3, unknown=0, ignored=6)
    assert again == ApplyResult(applied=0, unknown=0, ignored=9)
    assert counters(sent_campaign)["delivered"] == 3
    assert counters(sent_campaign) == counters_from_rows(sent_campaign)


def test_in_one_payload_the_first_final_outcome_wins(sent_campaign):
    rid = recipient_ids(sent_campaign)[0]
    payload = [report(message_id(rid), "Enroute"), report(message_id(rid), "Failed"), report(message_id(rid))]
    assert delivery_reports_apply(reports=payload).applied == 1
    assert _recipient(rid).status == "failed"


def test_a_not_final_report_changes_nothing(sent_campaign):
    rid = recipient_ids(sent_campaign)[0]
    result = delivery_reports_apply(reports=[report(message_id(rid), "Enroute"), report(message_id(rid), "Buffered")])
    assert result == ApplyResult(applied=0, unknown=0, ignored=2)
    assert _recipient(rid).status == "sent"
    assert not UnmatchedReport.objects.exists()


def test_only_sent_recipients_move():
    campaign = campaign_with_recipients(3)
    first, second, third = recipient_ids(campaign)
    send_results(campaign, sent=[first], failed=[second])
    CampaignRecipient.objects.filter(id=third).update(mitto_message_id="ODD")
    delivery_reports_apply(reports=[report(message_id(first)), report(message_id(second)), report("ODD")])
    assert [_recipient(r).status for r in (first, second, third)] == ["delivered", "failed", "queued"]
    assert counters(campaign) == counters_from_rows(campaign)


def test_reports_of_several_campaigns_move_each_ones_counters(sent_campaign):
    other = campaign_with_recipients(4)
    send_results(other, sent=recipient_ids(other))
    payload = [report(message_id(rid)) for rid in recipient_ids(sent_campaign)[:2] + recipient_ids(other)]
    assert delivery_reports_apply(reports=payload).applied == 6
    assert counters(sent_campaign)["delivered"] == 2 and counters(other)["delivered"] == 4
    assert counters(other) == counters_from_rows(other)


def test_unknown_ids_are_kept_and_counted(sent_campaign):
    rid = recipient_ids(sent_campaign)[0]
    at = timezone.now() - timedelta(minutes=1)
    payload = [
        report(message_id(rid)),
        report("NOPE1", "Failed", reference="r:77", error="Absent", at=at),
        report("NOPE1", "Failed"),
        report("NOPE2", "Accepted", reference="r:78"),
    ]

    result = delivery_reports_apply(reports=payload)

    assert result == ApplyResult(applied=1, unknown=2, ignored=1)
    stored = {row.message_id: row for row in UnmatchedReport.objects.all()}
    assert set(stored) == {"NOPE1", "NOPE2"}
    assert (stored["NOPE1"].reference, stored["NOPE1"].outcome, stored["NOPE1"].error) == ("r:77", "failed", "Absent")
    assert stored["NOPE1"].reported_at == at
    assert (stored["NOPE2"].reference, stored["NOPE2"].outcome) == ("r:78", "")


def test_a_report_that_overtook_its_message_id_is_applied_by_the_beat_task():
    campaign = campaign_with_recipients(3)
    first, second, _third = recipient_ids(campaign)
    early = [report(message_id(first), "Delivered"), report(message_id(second), "Failed", error="Expired")]
    assert delivery_reports_apply(reports=early) == ApplyResult(applied=0, unknown=2, ignored=0)

    send_results(campaign, sent=[first, second])
    assert reapply_unmatched_reports.delay().get() == {"moved": 2, "purged": 0}

    assert [_recipient(first).status, _recipient(second).status] == ["delivered", "failed"]
    assert _recipient(second).error == "Expired"
    assert counters(campaign) == counters_from_rows(campaign)
    assert not UnmatchedReport.objects.exists()


def test_stored_reports_still_unmatched_stay_until_the_retention():
    delivery_reports_apply(reports=[report("NOPE")])
    assert unmatched_reports_reapply() == 0
    assert UnmatchedReport.objects.count() == 1

    day_later = timezone.now() + timedelta(hours=23)
    assert unmatched_reports_purge(now=day_later, retention=timedelta(minutes=5)) == 0  # never under 24 h
    assert unmatched_reports_purge(now=timezone.now() + timedelta(days=8)) == 1
    assert not UnmatchedReport.objects.exists()


def test_a_stored_report_of_a_recipient_already_final_is_dropped_without_change(sent_campaign):
    rid = recipient_ids(sent_campaign)[0]
    delivery_reports_apply(reports=[report(message_id(rid), "Failed")])
    UnmatchedReport.objects.create(message_id=message_id(rid), outcome="delivered")
    assert unmatched_reports_reapply() == 0
    assert _recipient(rid).status == "failed"
    assert not UnmatchedReport.objects.exists()
    assert counters(sent_campaign) == counters_from_rows(sent_campaign)


def test_an_empty_payload_does_nothing():
    assert delivery_reports_apply(reports=[]) == ApplyResult()


def test_a_report_whose_row_commits_while_it_is_applied_is_kept_not_lost(sent_campaign, monkeypatch):
    """The UPDATE ran before the send's commit became visible; the check after it sees the row `sent`."""
    rid = recipient_ids(sent_campaign)[0]
    monkeypatch.setattr(delivery_rows, "recipients_report", lambda reports, now: [])

    result = delivery_reports_apply(reports=[report(message_id(rid), "Delivered")])

    assert result == ApplyResult(applied=0, unknown=1, ignored=0)
    monkeypatch.undo()
    assert unmatched_reports_reapply() == 1
    assert _recipient(rid).status == "delivered"
    assert counters(sent_campaign) == counters_from_rows(sent_campaign)
