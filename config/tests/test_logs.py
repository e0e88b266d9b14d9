"""Structured logs: JSON lines carrying the request and campaign ids, and never a whole phone number."""

import io
import json
import logging

import pytest
import responses
from django.test import Client

from campaigns.tests.support.send_helpers import BULK_URL, add_contacts, api_for, funded_shop, sending_campaign
from config.observability import context
from config.observability.logs import (
    ContextFilter,
    JsonFormatter,
    PhoneMaskFilter,
    mask_phones,
    payload_summary,
)

PHONE = "+306910000003"


@pytest.mark.parametrize(("text", "masked"), [
    ("to +306912345678 now", "to +**********78 now"),
    ("+1 (555) 123-4567", "+*********67"),
    ("destination 306912345678,", "destination **********78,"),
    ('{"destination":"+447700900123"}', '{"destination":"+**********23"}'),
])
def test_phone_like_digit_runs_keep_only_their_last_two_digits(text, masked):
    assert mask_phones(text) == masked


@pytest.mark.parametrize("text", ["batch 4217 of campaign 12", "2026-12-01T20:00:00+00:00", "took 0.01897730300004241s",
                                  "m-r:1234567"])
def test_ids_dates_and_durations_are_left_alone(text):
    assert mask_phones(text) == text


def test_a_payload_summary_is_bounded_and_masked():
    payload = [{"destination": f"+3069100{n:05d}", "text": "x" * 50} for n in range(1000)]

    summary = payload_summary(payload)

    assert summary.startswith("array of 1000, ")
    assert len(summary) < 300
    assert "+3069100" not in summary
    assert mask_phones("+306910000000") in summary


def test_any_logger_with_any_handler_sees_only_masked_numbers(caplog):
    PhoneMaskFilter()  # what the LOGGING config instantiates: it installs the masking record factory

    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("texting %s", PHONE)

    assert PHONE not in caplog.text
    assert mask_phones(PHONE) in caplog.text


@pytest.fixture
def json_log():
    """Every log line of the test as our JSON handler writes it (root logger, INFO)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(deployment="test"))
    handler.addFilter(ContextFilter())
    handler.addFilter(PhoneMaskFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _mitto_refuses_batches_with(phone):
    """Mitto accepts every bulk request but the one carrying `phone`, which it refuses (400) quoting it."""

    def answer(request):
        items = json.loads(request.body)["messages"]
        if any(item["destination"] == phone for item in items):
            return 400, {}, json.dumps({"description": f"invalid destination {phone}", "request": items})
        return 200, {}, json.dumps({"bulkId": "b", "messages": [
            {"messageId": f"m-{item['reference']}", "reference": item["reference"]} for item in items]})

    responses.add_callback(responses.POST, BULK_URL, callback=answer, content_type="application/json")


@pytest.mark.django_db(transaction=True)  # committed: the batches are sent (in-process) inside the request
@responses.activate
def test_a_campaign_sent_logs_json_lines_with_its_ids_and_no_whole_phone_number(
    settings, json_log, caplog
):
    settings.SMS_BATCH_SIZE = 2
    shop = funded_shop(1000)
    contacts = add_contacts(shop, 6)  # +306910000000 … 05
    campaign = sending_campaign(shop)
    _mitto_refuses_batches_with(PHONE)

    with caplog.at_level(logging.INFO):
        response = api_for(shop).post(f"/api/v1/campaigns/{campaign.id}/enqueue", HTTP_X_REQUEST_ID="req-0123456789")

    assert response.status_code == 202
    assert response["X-Request-ID"] == "req-0123456789"
    output = json_log.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    for contact in contacts:
        for text in (output, caplog.text):
            assert contact.phone not in text
            assert contact.phone.lstrip("+") not in text
    assert mask_phones(PHONE) in output  # the refusal was logged, masked
    in_request = [line for line in lines if line.get("request_id") == "req-0123456789"]
    assert in_request and all(line["campaign_id"] == campaign.id and line["shop_id"] == shop.id for line in in_request)
    assert all(line["deployment"] == "test" and {"time", "level", "logger", "message"} <= set(line) for line in lines)
    batch_lines = [line for line in lines if line.get("task") == "campaigns.send_batch"]
    assert batch_lines and all(line["task_id"] and line["request_id"] == "req-0123456789" for line in batch_lines)


def test_a_request_id_is_made_when_none_or_a_bad_one_is_given():
    web = Client()

    made = web.get("/healthz")
    replaced = web.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")

    assert len(made["X-Request-ID"]) == 32
    assert replaced["X-Request-ID"] != "bad id with spaces" and len(replaced["X-Request-ID"]) == 32
    assert context.current() == {}  # nothing bound outlives its request


def test_a_task_sent_during_a_request_carries_its_id_to_the_worker_and_forgets_what_it_bound():
    from types import SimpleNamespace

    from config.observability.celery_signals import REQUEST_ID_HEADER, _bind_task, _carry_request_id, _unbind_task

    headers = {}
    with context.log_context(request_id="req-0123456789"):
        _carry_request_id(headers=headers)
    task = SimpleNamespace(name="campaigns.send_batch", request=SimpleNamespace(**headers))

    _bind_task(task_id="t-1", task=task)
    context.bind(batch_id=7)
    during = context.current()
    _unbind_task(task_id="t-1")

    assert headers == {REQUEST_ID_HEADER: "req-0123456789"}
    assert during == {"request_id": "req-0123456789", "task_id": "t-1", "task": "campaigns.send_batch", "batch_id": 7}
    assert context.current() == {}


LOG_ONE_LINE = """
import django, logging
django.setup()
logging.getLogger("probe").warning("texting %s", "+306912345678")
"""


def _log_one_line(**env: str):
    import subprocess
    import sys

    from campaigns.tests.support.celery_processes import ROOT, worker_env

    environment = worker_env(LOG_LEVEL="INFO", **env)
    if "LOG_FORMAT" not in env:
        environment.pop("LOG_FORMAT", None)
    return subprocess.run([sys.executable, "-c", LOG_ONE_LINE], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=60)


def test_log_format_json_by_default_text_on_request_and_nothing_else():
    as_json = json.loads(_log_one_line().stderr.strip().splitlines()[-1])
    as_text = _log_one_line(LOG_FORMAT="text").stderr.strip().splitlines()[-1]
    refused = _log_one_line(LOG_FORMAT="xml")

    assert (as_json["logger"], as_json["message"]) == ("probe", "texting +**********78")
    assert as_text.endswith("WARNING probe texting +**********78")
    assert refused.returncode != 0 and "LOG_FORMAT" in refused.stderr
