"""The one lock order (campaigns.services.locks) under load: failed delivery reports (refunds), a batch's answer
being applied, send-time exclusions and a cancel of the same campaign, run at the same moment from threads (own
PostgreSQL connections), round after round. No deadlock error reaches a caller, the counters equal the rows
and the ledger balances."""

import threading

import pytest
from django.db import connection
from django.db.models import Count

from campaigns.models import Batch, CampaignRecipient
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.services.sending.apply import Answer, batch_apply_answer
from campaigns.services.sending.batch_states import batch_claim
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.exclusions import recipients_exclude
from campaigns.services.sending.lifecycle import campaign_cancel
from campaigns.tests.report_helpers import counters, counters_from_rows, report
from campaigns.tests.send_helpers import add_contacts, funded_shop, ledger_matches, sending_campaign

ROUNDS = 30
BATCH = 40
CREDITS = 1000


def run_together(*calls) -> list[BaseException]:
    """Each call in its own thread and connection, released at once; every exception raised, in call order."""
    barrier, errors = threading.Barrier(len(calls)), []

    def run(call):
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # noqa: BLE001 — handed to the test, which fails on any
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _ids(campaign, number: int) -> list[int]:
    return list(
        CampaignRecipient.objects.filter(campaign=campaign, batch_no=number).order_by("id").values_list("id", flat=True)
    )


def _claimed(campaign, number: int) -> Batch:
    batch = Batch.objects.select_related("campaign").get(campaign=campaign, number=number)
    assert batch_claim(batch=batch)
    return batch


def _accepted(ids: list[int], prefix: str) -> Answer:
    return Answer(bulk_id=prefix, sent=[(rid, f"{prefix}-{rid}") for rid in ids], failed=[])


def _round(no: int):
    """A sending campaign of three batches: the first accepted (its messages about to be reported failed), the
    second submitting (its answer about to be applied), the third queued (about to be cancelled, some of its
    contacts found opted out at the same time)."""
    shop = funded_shop(CREDITS)
    add_contacts(shop, 3 * BATCH, start=no * 3 * BATCH)
    campaign = sending_campaign(shop, body="Hello")
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    first, second, third = _ids(campaign, 0), _ids(campaign, 1), _ids(campaign, 2)
    batch_apply_answer(batch=_claimed(campaign, 0), answer=_accepted(first, f"a{no}"))
    answering = _claimed(campaign, 1)
    third_batch = Batch.objects.select_related("campaign").get(campaign=campaign, number=2)
    failed_reports = [report(f"a{no}-{rid}", "Failed", error="Absent subscriber") for rid in reversed(first)]
    calls = (
        lambda: delivery_reports_apply(reports=failed_reports),
        lambda: batch_apply_answer(batch=answering, answer=_accepted(second, f"b{no}")),
        lambda: recipients_exclude(campaign=campaign, batch=third_batch, opted_out=third[: BATCH // 2], held=[]),
        lambda: campaign_cancel(shop=shop, campaign_id=campaign.id),
    )
    return shop, campaign, calls


@pytest.mark.django_db(transaction=True)
def test_reports_an_answer_exclusions_and_a_cancel_of_one_campaign_at_once_deadlock_no_caller(settings, no_dispatch):
    settings.SMS_BATCH_SIZE = BATCH
    for no in range(ROUNDS):
        shop, campaign, calls = _round(no)

        errors = run_together(*calls)

        assert errors == [], f"round {no}: {errors!r}"
        assert counters(campaign) == counters_from_rows(campaign), f"round {no}"
        by_state = dict(
            CampaignRecipient.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id"))
        )
        assert by_state == {"failed": BATCH, "sent": BATCH, "cancelled": BATCH}, f"round {no}: {by_state}"
        shop.refresh_from_db()
        assert ledger_matches(shop), f"round {no}"
        assert (shop.credits, shop.credits_held) == (CREDITS - BATCH, 0), f"round {no}: only the answered batch paid"
