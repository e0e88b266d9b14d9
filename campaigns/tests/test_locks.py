"""The one lock order (campaigns.services.locks) under load: failed delivery reports (refunds), a batch's answer
being applied, send-time exclusions and a cancel of the same campaign, run at the same moment from threads (own
PostgreSQL connections), round after round. No deadlock error reaches a caller, the counters equal the rows
and the ledger balances."""

import re
import threading
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Batch, CampaignRecipient
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.services.sending.apply import Answer, batch_apply_answer, batch_fail
from campaigns.services.sending.batch_states import batch_claim, batch_mark_unknown_state
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.exclusions import recipients_exclude
from campaigns.services.sending.held_release import held_recipients_release
from campaigns.services.sending.lifecycle import campaign_cancel, campaign_pause, campaign_resume
from campaigns.services.sending.one_off import campaign_test_send
from campaigns.services.sending.repricing import recipients_reprice
from campaigns.services.sending.suspension import shop_suspend
from campaigns.services.sending.unknown import unknown_batches_resolve
from campaigns.tests.support.report_helpers import counters, counters_from_rows, report
from campaigns.tests.support.send_helpers import SEND_URL, add_contacts, funded_shop, ledger_matches, sending_campaign
from messaging.models import UnmatchedReport

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


LEVELS = {"campaigns_shop": 0, "campaigns_campaign": 1, "campaigns_batch": 2, "campaigns_campaignrecipient": 3,
          "metrics_campaignmetrics": 4}
_LOCKING_SELECT = re.compile(r"^\s*SELECT\b.*\bFOR (NO KEY )?UPDATE\b", re.S | re.I)
_FIRST_FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.I)
_WRITE_TARGETS = re.compile(r'\b(?:UPDATE|DELETE FROM)\s+"?(\w+)"?', re.I)


def first_locks(statements: list[str]) -> list[str]:
    """The tables of the lock order in the order a writer first locks a row of each: a SELECT … FOR UPDATE
    locks its first FROM table, an UPDATE or DELETE (also inside a WITH) its target. INSERTs lock no row another
    transaction can see, so they do not count."""
    seen: list[str] = []
    for sql in statements:
        if _LOCKING_SELECT.match(sql):
            tables = _FIRST_FROM.findall(sql)[:1]
        elif re.match(r"^\s*(WITH|UPDATE|DELETE)\b", sql, re.I):
            tables = _WRITE_TARGETS.findall(sql)
        else:
            tables = []
        seen += [table for table in tables if table in LEVELS and table not in seen]
    return seen


def _enqueued(shop, contacts=4):
    add_contacts(shop, contacts)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    return campaign


def _writer(name: str, settings):
    """A prepared state and the call of one writer on it."""
    shop = funded_shop(CREDITS)
    if name == "enqueue":
        add_contacts(shop, 4)
        campaign = sending_campaign(shop)
        return lambda: campaign_enqueue(shop=shop, campaign_id=campaign.id)
    campaign = _enqueued(shop)
    ids = _ids(campaign, 0)
    if name in ("cancel", "pause", "suspend"):
        return {"cancel": lambda: campaign_cancel(shop=shop, campaign_id=campaign.id),
                "pause": lambda: campaign_pause(shop=shop, campaign_id=campaign.id),
                "suspend": lambda: shop_suspend(shop=shop)}[name]
    if name == "resume":
        campaign_pause(shop=shop, campaign_id=campaign.id)
        return lambda: campaign_resume(shop=shop, campaign_id=campaign.id)
    if name == "exclusions":
        batch = Batch.objects.get(campaign=campaign, number=0)
        later = timezone.now() + timedelta(hours=1)
        return lambda: recipients_exclude(campaign=campaign, batch=batch, opted_out=ids[:2], held=[(ids[2], later)])
    if name == "test_send":
        return lambda: _test_send(shop, campaign)
    if name == "reprice":
        batch = Batch.objects.get(campaign=campaign, number=0)
        return lambda: recipients_reprice(campaign=campaign, batch=batch, segments={ids[0]: 3, ids[1]: 0})
    if name == "held_release":
        batch = Batch.objects.get(campaign=campaign, number=0)
        recipients_exclude(campaign=campaign, batch=batch, opted_out=[], held=[(ids[0], timezone.now())])
        return held_recipients_release
    batch = _claimed(campaign, 0)
    if name == "apply":
        answer = Answer(bulk_id="m", sent=[(rid, f"m-{rid}") for rid in ids[:3]], failed=[(ids[3], "Invalid")])
        return lambda: batch_apply_answer(batch=batch, answer=answer)
    if name == "fail":
        return lambda: batch_fail(batch=batch, error="permanent: refused")
    if name == "unknown":
        settings.SEND_UNKNOWN_REVIEW_S = 0
        batch_mark_unknown_state(batch_id=batch.id, error="no answer")
        UnmatchedReport.objects.create(message_id="u-1", reference=f"r:{ids[0]}", outcome="delivered")
        return unknown_batches_resolve
    batch_apply_answer(batch=batch, answer=_accepted(ids, "m"))
    assert name == "reports"
    return lambda: delivery_reports_apply(reports=[report(f"m-{rid}", "Failed") for rid in ids[:2]]
                                          + [report(f"m-{rid}") for rid in ids[2:]])


def _test_send(shop, campaign) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, SEND_URL, json={"messages": [{"trafficAccountId": "t", "messageId": "m-test"}]})
        campaign_test_send(shop=shop, campaign_id=campaign.id, phone="+306912345678")


WRITERS = ["enqueue", "apply", "fail", "unknown", "exclusions", "reprice", "held_release", "reports", "cancel",
           "pause", "resume", "suspend", "test_send"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_takes_its_first_lock_of_each_level_in_the_one_order(name, settings, no_dispatch):
    call = _writer(name, settings)
    with CaptureQueriesContext(connection) as queries:
        call()
    order = first_locks([query["sql"] for query in queries])
    assert order, "the writer locks something"
    if name == "apply":  # the one exception (locks.py): the claimed batch's own recipients come first
        assert order[0] == "campaigns_campaignrecipient", order
        order = order[1:]
    assert order == sorted(order, key=LEVELS.get), order


def test_first_locks_reads_locking_selects_updates_and_ctes_but_not_inserts():
    statements = [
        'SELECT "campaigns_shop"."id" FROM "campaigns_shop" WHERE "campaigns_shop"."id" = 1 FOR NO KEY UPDATE',
        "INSERT INTO campaigns_batch (campaign_id) SELECT 1",
        'SELECT "campaigns_batch"."id" FROM "campaigns_batch" WHERE id = 2',
        "WITH moved AS (UPDATE campaigns_campaignrecipient AS r SET status = 'failed' RETURNING r.campaign_id), "
        "counters AS (UPDATE metrics_campaignmetrics AS m SET failed = 1 FROM moved) SELECT 1",
        'UPDATE "campaigns_shop" SET "credits" = 1',
    ]
    assert first_locks(statements) == ["campaigns_shop", "campaigns_campaignrecipient", "metrics_campaignmetrics"]
