"""The Mitto simulator over real HTTP, driven by the real client: what it accepts, records, refuses and reports."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from messaging.client import MittoClient, OutboundMessage
from messaging.errors import OutcomeUnknown, PermanentError, RateLimited, TransientError
from messaging.simulator import MittoSimulator, SimulatorConfig

KEY = "sim-key"
ACCOUNT = "e8a5e53f-2f0c-4d4b-9a53-3b0d6c1a2f10"
BULK_PATH = "/api/v1.1/Messages/sendmessagesbulk"
ISO7 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z")


def _messages(count: int, first: int = 0, **changes) -> list[OutboundMessage]:
    fields = {"text": "Hi, 20% off today", "sender": "MyShop", "traffic_account_id": ACCOUNT} | changes
    return [OutboundMessage(destination=f"+3069123{n:05d}", reference=f"r:{n}", **fields)
            for n in range(first, first + count)]


def _eventually(check, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.fixture
def sim():
    with MittoSimulator(api_key=KEY, seed=7) as simulator:
        yield simulator


@pytest.fixture
def client(sim):
    mitto = MittoClient(sim.base_url, KEY, timeout_s=2)
    yield mitto
    mitto.close()


class _ReceiverHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.server.statuses.pop(0) if self.server.statuses else 202
        if status == 202:
            self.server.posts.append({"path": self.path, "headers": dict(self.headers), "reports": json.loads(body)})
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A tiny webhook: records every array it takes (answering 202), or answers the statuses queued first."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ReceiverHandler)
    server.posts, server.statuses = [], []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/mitto/dlr"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _reports(receiver) -> list[dict]:
    return [report for post in receiver.posts for report in post["reports"]]


def test_accepts_records_and_echoes_references(sim, client):
    messages = _messages(3)

    result = client.send_bulk(messages)

    ids = [outcome.message_id for outcome in result.outcomes]
    assert all(outcome.accepted for outcome in result.outcomes)
    assert len(set(ids)) == 3 and all(len(message_id) == 26 for message_id in ids)
    assert [(m.destination, m.text, m.sender, m.traffic_account_id, m.reference, m.message_id)
            for m in sim.accepted()] == [
        (m.destination, m.text, m.sender, m.traffic_account_id, m.reference, message_id)
        for m, message_id in zip(messages, ids, strict=True)
    ]
    assert sim.destination_counts() == {m.destination: 1 for m in messages}
    [request] = sim.requests()
    assert (request.method, request.path, request.status, request.traffic_account_ids, request.senders,
            request.items) == ("POST", BULK_PATH, 200, (ACCOUNT,), ("MyShop",), 3)


def test_answer_is_json_echoing_references_exactly_in_request_order(sim):
    references = ['r:"quoted"\\', "r:Μαρία ✓ 🙂", "r:\u0001tab\t"]
    items = [m.as_payload() | {"reference": ref} for m, ref in zip(_messages(3), references, strict=True)]
    items[1]["destination"] = "+3069"

    answer = requests.post(sim.base_url + BULK_PATH, json={"messages": items}, headers={"X-Mitto-API-Key": KEY})

    body = answer.json()
    assert answer.headers["Content-Type"].startswith("application/json")
    assert body["bulkId"]
    assert [sorted(item) for item in body["messages"]] == [
        ["messageId", "reference", "trafficAccountId"], ["error", "reference", "trafficAccountId"],
        ["messageId", "reference", "trafficAccountId"]]
    assert [item["reference"] for item in body["messages"]] == references
    assert body["messages"][1]["error"] == "Invalid destination"
    assert [m.reference for m in sim.accepted()] == [references[0], references[2]]


def test_wrong_or_missing_key_is_401(sim):
    for key in ("other-key", ""):
        with pytest.raises(PermanentError) as caught:
            MittoClient(sim.base_url, key).send_bulk(_messages(1))
        assert (caught.value.status, caught.value.auth) == (401, True)
    assert sim.accepted() == []
    assert [request.status for request in sim.requests()] == [401, 401]


def test_without_a_configured_key_any_key_is_accepted():
    with MittoSimulator() as open_sim:
        result = MittoClient(open_sim.base_url, "whatever").send_bulk(_messages(1))

    assert result.outcomes[0].accepted


def test_invalid_destinations_and_senders_are_rejected_per_item(sim, client):
    valid = _messages(1)[0]
    invalid = [
        OutboundMessage("+3069", "Hi", "MyShop", ACCOUNT, "short"),
        OutboundMessage("306912345678", "Hi", "MyShop", ACCOUNT, "no-plus"),
        OutboundMessage("+10000000000", "Hi", "MyShop", ACCOUNT, "not-a-number"),
        OutboundMessage("+306912345678", "Hi", "Shop_With_Long_Name", ACCOUNT, "bad-sender"),
    ]

    outcomes = client.send_bulk([valid, *invalid]).outcomes

    assert outcomes[0].accepted
    assert [(o.reference, o.accepted, o.error) for o in outcomes[1:]] == [
        ("short", False, "Invalid destination"),
        ("no-plus", False, "Invalid destination"),
        ("not-a-number", False, "Invalid destination"),
        ("bad-sender", False, "Invalid sender"),
    ]
    assert [m.destination for m in sim.accepted()] == [valid.destination]


def test_reject_prefix_always_rejects(sim, client):
    sim.configure(reject_prefix="+30691230000")

    outcomes = client.send_bulk(_messages(1) + _messages(1, first=10)).outcomes

    assert [(o.accepted, o.error) for o in outcomes] == [(False, "Invalid destination"), (True, None)]


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"messages": []}', "non-empty array"),
        (b'{"msgs": [{}]}', "non-empty array"),
        (json.dumps({"messages": [{"destination": "+306912345678", "sms": {"text": "x"}}]}).encode(), "message 0"),
        (json.dumps({"messages": [{"trafficAccountId": ACCOUNT, "destination": "+306912345678",
                                   "sms": {"text": "x", "sender": "MyShop"}}] * 5001}).encode(), "at most 5000"),
    ],
)
def test_malformed_bodies_are_400_with_a_description(sim, body, description):
    answer = requests.post(sim.base_url + BULK_PATH, data=body, headers={"X-Mitto-API-Key": KEY})

    assert answer.status_code == 400
    assert description in answer.json()["description"]
    assert sim.accepted() == []


def test_own_rate_limit_answers_429_with_retry_after():
    with MittoSimulator(api_key=KEY, rate_limit_rps=2) as limited:
        client = MittoClient(limited.base_url, KEY)
        client.send_bulk(_messages(1))
        client.send_bulk(_messages(1, first=1))
        with pytest.raises(RateLimited) as caught:
            client.send_bulk(_messages(1, first=2))

        assert caught.value.retry_after_s == 1.0
        assert [request.status for request in limited.requests()] == [200, 200, 429]
        assert len(limited.accepted()) == 2


def test_5xx_fault_is_a_transient_error_and_sends_nothing(sim, client):
    sim.configure(fail_5xx_share=1)

    with pytest.raises(TransientError) as caught:
        client.send_bulk(_messages(2))

    assert caught.value.status == 503
    assert sim.accepted() == []


def test_dropped_answer_is_outcome_unknown_but_the_messages_were_accepted(sim, client):
    sim.configure(drop_after_accept_share=1)

    with pytest.raises(OutcomeUnknown):
        client.send_bulk(_messages(2))

    assert [m.reference for m in sim.accepted()] == ["r:0", "r:1"]
    assert [request.status for request in sim.requests()] == [None]


def test_burst_429_answers_the_next_n_requests_then_recovers(sim, client):
    sim.configure(burst_429=2)

    for _ in range(2):
        with pytest.raises(RateLimited) as caught:
            client.send_bulk(_messages(1))
        assert caught.value.retry_after_s == 1.0
    result = client.send_bulk(_messages(1))

    assert result.outcomes[0].accepted
    assert [request.status for request in sim.requests()] == [429, 429, 200]


def test_delay_beyond_the_client_timeout_is_outcome_unknown(sim):
    sim.configure(delay_ms=600)
    impatient = MittoClient(sim.base_url, KEY, timeout_s=0.2)

    with pytest.raises(OutcomeUnknown):
        impatient.send_bulk(_messages(1))

    assert len(sim.accepted()) == 1


def test_single_send_and_status_lookup(sim, client):
    outcome = client.send_one(_messages(1)[0])
    rejected = client.send_one(OutboundMessage("+3069", "Hi", "MyShop", ACCOUNT, "r:x"))

    record = client.lookup(outcome.message_id)

    assert outcome.accepted and not rejected.accepted
    assert rejected.error == "Invalid destination"
    assert (record["messageId"], record["deliveryStatus"], record["reference"], record["trafficAccountId"]) == (
        outcome.message_id, "Sent", "r:0", ACCOUNT)
    assert ISO7.fullmatch(record["createdAt"])
    assert client.lookup("01KC69MT19BRK5MSXG1V95YPHX") is None
    assert client.lookup(outcome.message_id[:-1] + "Z") is None


def test_runtime_config_endpoint_changes_behaviour_and_rejects_unknown_options(sim, client):
    changed = requests.post(f"{sim.base_url}/_sim/config", json={"reject_prefix": "+3069123", "delay_ms": "0"})
    unknown = requests.post(f"{sim.base_url}/_sim/config", json={"colour": "blue"})
    startup_only = requests.post(f"{sim.base_url}/_sim/config", json={"port": 1})
    bad_share = requests.post(f"{sim.base_url}/_sim/config", json={"fail_5xx_share": 2})

    outcome = client.send_bulk(_messages(1)).outcomes[0]

    assert changed.status_code == 200 and changed.json()["reject_prefix"] == "+3069123"
    assert [answer.status_code for answer in (unknown, startup_only, bad_share)] == [400, 400, 400]
    assert "colour" in unknown.json()["description"]
    assert (outcome.accepted, outcome.error) == (False, "Invalid destination")
    assert sim.config.reject_prefix == "+3069123"


def test_admin_endpoints_report_and_reset(sim, client):
    client.send_bulk(_messages(2) + _messages(1))

    stats = requests.get(f"{sim.base_url}/_sim/stats").json()
    listed = requests.get(f"{sim.base_url}/_sim/messages", params={"offset": 1, "limit": 1}).json()
    logged = requests.get(f"{sim.base_url}/_sim/requests").json()
    counts = sim.destination_counts()
    reset = requests.post(f"{sim.base_url}/_sim/reset")

    assert (stats["accepted"], stats["duplicate_destinations"], stats["duplicates"], stats["requests"]) == (
        3, 1, {"+306912300000": 2}, 1)
    assert counts == {"+306912300000": 2, "+306912300001": 1}
    assert listed["total"] == 3
    assert [m["reference"] for m in listed["messages"]] == ["r:1"]
    assert [(r["status"], r["items"], r["traffic_account_ids"]) for r in logged] == [(200, 3, [ACCOUNT])]
    assert reset.status_code == 200
    assert (sim.accepted(), sim.requests()) == ([], [])


def test_reports_are_posted_as_arrays_in_batches(sim, client, receiver):
    sim.configure(dlr_url=receiver.url, dlr_batch=2, dlr_delay_ms=60_000)
    result = client.send_bulk(_messages(5))

    assert sim.pending_reports() == 5
    assert sim.flush_reports() == 5

    assert [len(post["reports"]) for post in receiver.posts] == [2, 2, 1]
    reports = _reports(receiver)
    assert [r["messageId"] for r in reports] == [o.message_id for o in result.outcomes]
    assert {r["deliveryStatus"] for r in reports} == {"Delivered"}
    assert all(r["reference"] == f"r:{n}" and r["description"] == "" and r["errorCode"] is None
               and ISO7.fullmatch(r["updatedAt"]) for n, r in enumerate(reports))
    assert sim.pending_reports() == 0
    assert client.lookup(result.outcomes[0].message_id)["deliveryStatus"] == "Delivered"


def test_reports_are_posted_by_the_background_thread_when_due(sim, client, receiver):
    sim.configure(dlr_url=receiver.url, dlr_delay_ms=50)

    client.send_bulk(_messages(3))

    _eventually(lambda: len(_reports(receiver)) == 3 and sim.pending_reports() == 0)
    assert receiver.posts[0]["headers"]["Content-Type"] == "application/json"


def test_delivered_share_splits_delivered_and_failed(sim, client, receiver):
    sim.configure(dlr_url=receiver.url, dlr_delay_ms=60_000, dlr_delivered_share=0.5)
    client.send_bulk(_messages(200))
    sim.flush_reports()
    sim.configure(dlr_delivered_share=0)
    failed_id = client.send_bulk(_messages(1, first=500)).outcomes[0].message_id
    sim.flush_reports()

    statuses = [r["deliveryStatus"] for r in _reports(receiver)]
    failed = [r for r in _reports(receiver) if r["deliveryStatus"] == "Failed"]
    assert 0 < statuses[:200].count("Delivered") < 200
    assert statuses[200] == "Failed"
    assert all(r["description"] and r["errorCode"] for r in failed)
    assert client.lookup(failed_id)["deliveryStatus"] == "Failed"


def test_duplicates_post_every_array_twice(sim, client, receiver):
    sim.configure(dlr_url=receiver.url, dlr_delay_ms=60_000, dlr_duplicates=True)
    client.send_bulk(_messages(3))

    sim.flush_reports()

    assert len(receiver.posts) == 2
    assert receiver.posts[0]["reports"] == receiver.posts[1]["reports"]


def test_reorder_shuffles_and_puts_final_reports_before_intermediate_ones(sim, client, receiver):
    sim.configure(dlr_url=receiver.url, dlr_delay_ms=60_000, dlr_intermediate=True, dlr_reorder=True,
                  dlr_duplicates=True)
    client.send_bulk(_messages(20))

    sim.flush_reports()

    first, second = (post["reports"] for post in receiver.posts)
    for reports in (first, second):
        assert [r["deliveryStatus"] for r in reports] == ["Delivered"] * 20 + ["Sent"] * 20
        assert sorted(r["reference"] for r in reports[:20]) == sorted(f"r:{n}" for n in range(20))
    assert [r["reference"] for r in first[:20]] != [f"r:{n}" for n in range(20)]
    assert first != second


def test_intermediate_reports_come_first_without_reorder(sim, client, receiver):
    sim.configure(dlr_url=receiver.url, dlr_delay_ms=60_000, dlr_intermediate=True)
    client.send_bulk(_messages(2))

    sim.flush_reports()

    assert [(r["reference"], r["deliveryStatus"]) for r in _reports(receiver)] == [
        ("r:0", "Sent"), ("r:0", "Delivered"), ("r:1", "Sent"), ("r:1", "Delivered")]


@pytest.mark.parametrize(("mode", "expected_path", "expected_header"), [
    ("query", "/webhooks/mitto/dlr?token=s%26cret", None),
    ("header", "/webhooks/mitto/dlr", "s&cret"),
])
def test_report_token_in_query_or_header(sim, client, receiver, mode, expected_path, expected_header):
    sim.configure(dlr_url=receiver.url, dlr_delay_ms=60_000, dlr_token="s&cret", dlr_token_mode=mode)
    client.send_bulk(_messages(1))

    sim.flush_reports()

    [post] = receiver.posts
    assert post["path"] == expected_path
    assert post["headers"].get("X-Webhook-Token") == expected_header


def test_reports_the_receiver_refuses_are_posted_again(sim, client, receiver):
    receiver.statuses.extend([500, 503])
    sim.configure(dlr_url=receiver.url)

    client.send_bulk(_messages(2))

    # the poster counts a report done after the receiver's answer reaches it, just after the receiver saw it
    _eventually(lambda: len(_reports(receiver)) == 2 and sim.pending_reports() == 0)
    assert sim.stats()["report_post_failures"] == 2


def test_config_values_are_checked():
    with pytest.raises(ValueError, match="drop_after_accept_share"):
        SimulatorConfig(drop_after_accept_share=1.5)
    with pytest.raises(ValueError, match="unknown option"):
        MittoSimulator(fail_share=0.5)
    assert SimulatorConfig().updated({"dlr_duplicates": "true", "delay_ms": "5", "api_key": ""}) == SimulatorConfig(
        dlr_duplicates=True, delay_ms=5, api_key=None)


def test_stopped_simulator_refuses_connections(sim, client):
    client.send_bulk(_messages(1))

    sim.stop()

    with pytest.raises(TransientError):
        client.send_bulk(_messages(1, first=1))


def test_management_command_serves_with_its_flags():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "manage.py", "mitto_simulator", "--port", str(port), "--api-key", "cli-key",
               "--reject-prefix", "+3069123000", "--no-dlr-duplicates"]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True,
                               env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.test_settings"})
    try:
        assert f"127.0.0.1:{port}" in process.stdout.readline()
        outcomes = MittoClient(f"http://127.0.0.1:{port}", "cli-key").send_bulk(_messages(1, first=10000)
                                                                                 + _messages(1)).outcomes
        assert [(o.accepted, o.error) for o in outcomes] == [(True, None), (False, "Invalid destination")]
    finally:
        process.terminate()
        process.wait(timeout=10)
