"""The Mitto client against MITTO.md: exact requests, answer matching, and every failure typed."""

import json
import logging
import socket
import threading
from http.client import RemoteDisconnected

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from messaging.client import MittoClient, OutboundMessage, get_client
from messaging.errors import MittoError, OutcomeUnknown, PermanentError, RateLimited, TransientError

BASE = "http://mitto.test"
KEY = "sekret-KEY-0123456789"
BULK_URL = f"{BASE}/api/v1.1/Messages/sendmessagesbulk"
SEND_URL = f"{BASE}/api/v1.1/Messages/send"
ACCOUNT = "e8a5e53f-2f0c-4d4b-9a53-3b0d6c1a2f10"


def _message(n: int, reference: str | None = "default") -> OutboundMessage:
    reference = f"r:{n}" if reference == "default" else reference
    return OutboundMessage(destination=f"+3069123000{n:02d}", text=f"Hi {n}, 20% off", sender="MyShop",
                           traffic_account_id=ACCOUNT, reference=reference)


def _accepted(n: int, *, echo: bool = True) -> dict:
    item = {"trafficAccountId": ACCOUNT, "messageId": f"01KC69MT19BRK5MSXG1V95YP{n:02d}"}
    return item | ({"reference": f"r:{n}"} if echo else {})


@pytest.fixture
def client():
    return MittoClient(BASE, KEY, timeout_s=2, max_batch=5000)


@responses.activate
def test_send_bulk_posts_the_exact_body_and_headers(client):
    responses.post(BULK_URL, json={"bulkId": "b-1", "messages": [_accepted(1), _accepted(2, echo=False)]})

    result = client.send_bulk([_message(1), _message(2, reference=None)])

    request = responses.calls[0].request
    assert json.loads(request.body) == {"messages": [
        {"trafficAccountId": ACCOUNT, "destination": "+306912300001",
         "sms": {"text": "Hi 1, 20% off", "sender": "MyShop"}, "reference": "r:1"},
        {"trafficAccountId": ACCOUNT, "destination": "+306912300002",
         "sms": {"text": "Hi 2, 20% off", "sender": "MyShop"}},
    ]}
    assert isinstance(request.body, bytes)
    assert request.headers["X-Mitto-API-Key"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert [outcome.reference for outcome in result.outcomes] == ["r:1", None]


@responses.activate
def test_send_bulk_sends_non_ascii_text_as_utf8(client):
    responses.post(BULK_URL, json={"bulkId": "b-1", "messages": [_accepted(1)]})
    message = OutboundMessage("+306912300001", "Γειά σου Μαρία", "MyShop", ACCOUNT, "r:1")

    client.send_bulk([message])

    assert "Γειά σου Μαρία".encode() in responses.calls[0].request.body


@responses.activate
def test_outcomes_are_matched_by_echoed_reference_whatever_the_order(client):
    rejected = {"trafficAccountId": ACCOUNT, "error": "Invalid destination", "reference": "r:1"}
    responses.post(BULK_URL, json={"bulkId": "b-1", "messages": [_accepted(3), rejected, _accepted(2)]})

    result = client.send_bulk([_message(1), _message(2), _message(3)])

    assert result.bulk_id == "b-1"
    assert [(o.reference, o.accepted, o.message_id, o.error, o.index) for o in result.outcomes] == [
        ("r:1", False, None, "Invalid destination", 0),
        ("r:2", True, "01KC69MT19BRK5MSXG1V95YP02", None, 1),
        ("r:3", True, "01KC69MT19BRK5MSXG1V95YP03", None, 2),
    ]


@responses.activate
def test_outcomes_are_matched_by_position_without_echo(client):
    rejected = {"trafficAccountId": ACCOUNT, "description": "Blocked number"}
    responses.post(BULK_URL, json={"bulkId": "b-1", "messages": [_accepted(7, echo=False), rejected]})

    result = client.send_bulk([_message(1), _message(2)])

    assert [(o.reference, o.accepted, o.message_id, o.error) for o in result.outcomes] == [
        ("r:1", True, "01KC69MT19BRK5MSXG1V95YP07", None),
        ("r:2", False, None, "Blocked number"),
    ]


@responses.activate
def test_rejected_item_without_reason_gets_a_generic_one(client):
    responses.post(BULK_URL, json={"bulkId": "b-1", "messages": [{"trafficAccountId": ACCOUNT}]})

    outcome = client.send_bulk([_message(1)]).outcomes[0]

    assert not outcome.accepted
    assert outcome.error == "rejected by Mitto without a reason"


@pytest.mark.parametrize(
    ("header", "expected"),
    [({"Retry-After": "7"}, 7.0), ({"Retry-After": "1.5"}, 1.5), ({}, None), ({"Retry-After": "soon"}, None),
     ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0)],
)
@responses.activate
def test_429_is_rate_limited_with_retry_after_seconds(client, header, expected):
    responses.post(BULK_URL, status=429, json={"description": "Too many requests"}, headers=header)

    with pytest.raises(RateLimited) as caught:
        client.send_bulk([_message(1)])

    assert caught.value.retry_after_s == expected


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@responses.activate
def test_5xx_is_transient(client, status):
    responses.post(BULK_URL, status=status, body="upstream trouble")

    with pytest.raises(TransientError) as caught:
        client.send_bulk([_message(1)])

    assert caught.value.status == status


@pytest.mark.parametrize(
    ("status", "auth"), [(400, False), (401, True), (403, True), (404, False), (422, False), (302, False)]
)
@responses.activate
def test_4xx_and_redirects_are_permanent_and_401_403_are_auth(client, status, auth):
    responses.post(BULK_URL, status=status, json={"description": "messages[0].destination is required"})

    with pytest.raises(PermanentError) as caught:
        client.send_bulk([_message(1)])

    assert (caught.value.status, caught.value.auth) == (status, auth)
    assert len(responses.calls) == 1
    if status == 400:
        assert "messages[0].destination is required" in str(caught.value)


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, BULK_URL, reason=reason))


def _dropped() -> requests.ConnectionError:
    cause = RemoteDisconnected("Remote end closed connection without response")
    return requests.ConnectionError(ProtocolError("Connection aborted.", cause))


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (_refused(), TransientError),
        (requests.ConnectTimeout("connect timed out"), TransientError),
        (requests.exceptions.SSLError("handshake failed"), TransientError),
        (requests.ReadTimeout("read timed out"), OutcomeUnknown),
        (_dropped(), OutcomeUnknown),
        (requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104))), OutcomeUnknown),
        (requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"), OutcomeUnknown),
        (requests.ConnectionError("no idea what happened"), OutcomeUnknown),
    ],
)
@responses.activate
def test_transport_failures_are_transient_before_sending_and_unknown_after(client, failure, expected):
    responses.post(BULK_URL, body=failure)

    with pytest.raises(MittoError) as caught:
        client.send_bulk([_message(1)])

    assert type(caught.value) is expected


@pytest.mark.parametrize(
    "answer",
    [
        {"messages": [_accepted(1)]},
        {"bulkId": "b-1"},
        {"bulkId": "", "messages": [_accepted(1)]},
        {"bulkId": "b-1", "messages": {"0": _accepted(1)}},
        {"bulkId": "b-1", "messages": []},
        {"bulkId": "b-1", "messages": [_accepted(1), _accepted(2)]},
        {"bulkId": "b-1", "messages": ["01KC69MT19BRK5MSXG1V95YP01"]},
        {"bulkId": "b-1", "messages": [_accepted(9)]},
        [_accepted(1)],
    ],
    ids=["no-bulkId", "no-messages", "empty-bulkId", "messages-not-list", "no-items", "more-items",
         "item-not-object", "unknown-reference", "not-an-object"],
)
@responses.activate
def test_malformed_200_is_outcome_unknown_and_logged_raw(client, answer, caplog):
    responses.post(BULK_URL, json=answer)

    with caplog.at_level(logging.ERROR, logger="messaging.mitto"), pytest.raises(OutcomeUnknown):
        client.send_bulk([_message(1)])

    assert "Malformed Mitto answer" in caplog.text
    assert json.dumps(answer)[:20] in caplog.text


@responses.activate
def test_200_that_is_not_json_is_outcome_unknown(client, caplog):
    responses.post(BULK_URL, body="<html>gateway</html>", status=200)

    with caplog.at_level(logging.ERROR, logger="messaging.mitto"), pytest.raises(OutcomeUnknown):
        client.send_bulk([_message(1)])

    assert "<html>gateway</html>" in caplog.text


@responses.activate
def test_count_mismatch_is_unknown_even_with_references(client):
    responses.post(BULK_URL, json={"bulkId": "b-1", "messages": [_accepted(1)]})

    with pytest.raises(OutcomeUnknown, match="1 items answered for 2 messages"):
        client.send_bulk([_message(1), _message(2)])


@responses.activate
def test_duplicate_echoed_reference_is_unknown(client):
    responses.post(BULK_URL, json={"bulkId": "b-1", "messages": [_accepted(1), _accepted(1)]})

    with pytest.raises(OutcomeUnknown):
        client.send_bulk([_message(1), _message(2)])


@responses.activate
def test_the_api_key_is_in_no_exception_log_or_repr(caplog):
    client = MittoClient(BASE, KEY)
    responses.post(BULK_URL, status=401, json={"description": f"key {KEY} not allowed from 10.0.0.1"})
    responses.post(SEND_URL, json={"bulkId": KEY})

    with caplog.at_level(logging.DEBUG, logger="messaging.mitto"):
        with pytest.raises(PermanentError) as unauthorised:
            client.send_bulk([_message(1)])
        with pytest.raises(OutcomeUnknown) as unknown:
            client.send_one(_message(1))

    for text in (str(unauthorised.value), repr(unauthorised.value), str(unknown.value), repr(client), caplog.text):
        assert KEY not in text
    assert "not allowed from 10.0.0.1" in str(unauthorised.value)


def test_more_than_max_batch_or_no_messages_is_refused_before_sending():
    client = MittoClient(BASE, KEY, max_batch=2)

    with pytest.raises(ValueError, match="at most 2"):
        client.send_bulk([_message(1), _message(2), _message(3)])
    with pytest.raises(ValueError):
        client.send_bulk([])
    with pytest.raises(ValueError):
        MittoClient(BASE, KEY, max_batch=5001)


@responses.activate
def test_send_one_posts_one_message_and_reads_its_id(client):
    responses.post(SEND_URL, json={"messages": [{"trafficAccountId": ACCOUNT, "messageId": "01KC69MT19BRK5"}]})

    outcome = client.send_one(_message(4))

    assert json.loads(responses.calls[0].request.body) == {
        "trafficAccountId": ACCOUNT, "destination": "+306912300004",
        "sms": {"text": "Hi 4, 20% off", "sender": "MyShop"}, "reference": "r:4",
    }
    assert responses.calls[0].request.headers["X-Mitto-API-Key"] == KEY
    assert (outcome.accepted, outcome.message_id, outcome.reference, outcome.index) == (
        True, "01KC69MT19BRK5", "r:4", 0)


@responses.activate
def test_send_one_rejected_and_malformed(client):
    responses.post(SEND_URL, json={"messages": [{"trafficAccountId": ACCOUNT, "error": "Invalid destination"}]})
    responses.post(SEND_URL, json={"messages": []})

    rejected = client.send_one(_message(1))
    with pytest.raises(OutcomeUnknown):
        client.send_one(_message(1))

    assert (rejected.accepted, rejected.error) == (False, "Invalid destination")


@responses.activate
def test_lookup_returns_the_record_or_none_for_unknown_ids(client):
    record = {"messageId": "01KC/1", "deliveryStatus": "Delivered", "reference": "r:1"}
    responses.get(f"{BASE}/api/v1.1/Messages/01KC%2F1", json=record)
    responses.get(f"{BASE}/api/v1.1/Messages/unknown", status=404)

    assert client.lookup("01KC/1") == record
    assert client.lookup("unknown") is None
    assert responses.calls[0].request.headers["X-Mitto-API-Key"] == KEY


@responses.activate
def test_lookup_errors_are_typed(client):
    responses.get(f"{BASE}/api/v1.1/Messages/x", status=503)

    with pytest.raises(TransientError):
        client.lookup("x")


def test_get_client_is_built_from_settings_once_per_process(settings):
    settings.MITTO_API_BASE = "http://mitto.example/"
    settings.MITTO_TIMEOUT_S = 3.5
    settings.SMS_BATCH_SIZE = 1000

    client = get_client()

    assert (client.base_url, client.timeout_s, client.max_batch) == ("http://mitto.example", 3.5, 1000)
    assert get_client() is client
    settings.SMS_BATCH_SIZE = 500
    assert get_client().max_batch == 500


# Over real sockets: how requests really reports each failure, so the classification above holds.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_once(behaviour) -> int:
    """A one-connection TCP server that reads the request and then does `behaviour(connection)`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run():
        connection, _ = listener.accept()
        connection.recv(65536)
        behaviour(connection)
        connection.close()
        listener.close()

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


def test_real_connection_refused_is_transient():
    client = MittoClient(f"http://127.0.0.1:{_free_port()}", KEY, timeout_s=2)

    with pytest.raises(TransientError):
        client.send_bulk([_message(1)])


def test_real_connection_closed_without_answer_is_unknown():
    client = MittoClient(f"http://127.0.0.1:{_serve_once(lambda connection: None)}", KEY, timeout_s=2)

    with pytest.raises(OutcomeUnknown):
        client.send_bulk([_message(1)])


def test_real_read_timeout_is_unknown():
    released = threading.Event()
    port = _serve_once(lambda connection: released.wait(2))
    client = MittoClient(f"http://127.0.0.1:{port}", KEY, timeout_s=0.2)

    with pytest.raises(OutcomeUnknown):
        client.send_bulk([_message(1)])
    released.set()


def test_real_answer_cut_short_is_unknown():
    truncated = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"bulkId\":"
    client = MittoClient(f"http://127.0.0.1:{_serve_once(lambda c: c.sendall(truncated))}", KEY, timeout_s=2)

    with pytest.raises(OutcomeUnknown):
        client.send_bulk([_message(1)])
