import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from messaging.reports import (
    MAX_REPORTS,
    DeliveryReport,
    InvalidItem,
    MalformedPayload,
    parse_delivery_reports,
    parse_timestamp,
)

MITTO_EXAMPLE = {
    "messageId": "01KC69MT19BRK5MSXG1V95YPHX",
    "deliveryStatus": "Delivered",
    "reference": "r:84123",
    "description": "",
    "errorCode": None,
    "updatedAt": "2025-12-11T08:50:04.5000993Z",
}


def only_report(payload):
    result = parse_delivery_reports(payload)
    assert result.invalid == []
    [report] = result.reports
    return report


def test_mittos_documented_report_parses_to_a_delivered_record():
    assert only_report(MITTO_EXAMPLE) == DeliveryReport(
        message_id="01KC69MT19BRK5MSXG1V95YPHX",
        outcome="delivered",
        raw_status="Delivered",
        reference="r:84123",
        error=None,
        updated_at=datetime(2025, 12, 11, 8, 50, 4, 500099, tzinfo=UTC),
    )


def test_an_array_parses_every_item_in_order():
    payload = [{**MITTO_EXAMPLE, "messageId": f"m{i}"} for i in range(3)]

    result = parse_delivery_reports(payload)

    assert [r.message_id for r in result.reports] == ["m0", "m1", "m2"]
    assert (result.invalid, result.unknown_statuses) == ([], 0)


@pytest.mark.parametrize("key", ["messageId", "id", "MessageId"])
def test_every_message_id_variant_is_accepted(key):
    assert only_report({key: "abc", "status": "Delivered"}).message_id == "abc"


@pytest.mark.parametrize("key", ["deliveryStatus", "status", "Status"])
def test_every_status_variant_is_accepted(key):
    report = only_report({"id": "abc", key: "Failed"})
    assert (report.outcome, report.raw_status) == ("failed", "Failed")


@pytest.mark.parametrize("key", ["updatedAt", "timestamp", "doneAt"])
def test_every_time_variant_is_accepted(key):
    report = only_report({"id": "abc", "status": "Delivered", key: "2025-12-11T08:50:04Z"})
    assert report.updated_at == datetime(2025, 12, 11, 8, 50, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"description": "Absent subscriber"}, "Absent subscriber"),
        ({"error": "Network error"}, "Network error"),
        ({"errorCode": 27}, "27"),
        ({"description": "", "errorCode": "EC_27"}, "EC_27"),
        ({"description": "", "errorCode": None}, None),
        ({"description": "x" * 1000}, "x" * 255),
    ],
)
def test_the_error_comes_from_the_first_non_empty_variant(fields, error):
    assert only_report({"id": "abc", "status": "Failed", **fields}).error == error


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("Delivered", "delivered"),
        ("DELIVERED", "delivered"),
        (" delivered ", "delivered"),
        ("Failed", "failed"),
        ("failure", "failed"),
        ("Undelivered", "failed"),
        ("REJECTED", "failed"),
        ("Expired", "failed"),
    ],
)
def test_final_statuses_map_whatever_their_case(status, outcome):
    assert only_report({"id": "abc", "status": status}).outcome == outcome


@pytest.mark.parametrize("status", ["Sent", "queued", "PENDING", "Accepted", "Enroute", "buffered"])
def test_statuses_on_the_way_are_not_final_and_not_unknown(status, caplog):
    caplog.set_level(logging.DEBUG, logger="messaging.reports")

    result = parse_delivery_reports({"id": "abc", "status": status})

    assert result.reports[0].outcome is None
    assert result.unknown_statuses == 0
    assert caplog.records == []


@pytest.mark.parametrize("status", ["Teleported", "", None, 7, {"code": 1}])
def test_an_unknown_or_missing_status_is_not_final_counted_and_logged_with_a_summary_of_the_report(status, caplog):
    item = {"id": "abc", "status": status, "reference": "r:1"}

    with caplog.at_level(logging.WARNING, logger="messaging.reports"):
        result = parse_delivery_reports(item)

    assert result.reports[0].outcome is None
    assert result.unknown_statuses == 1
    [record] = caplog.records
    assert record.name == "messaging.reports"
    assert json.dumps(item) in record.getMessage()


def test_unknown_statuses_are_all_counted_but_the_log_is_bounded(caplog):
    payload = [{"id": f"m{i}", "status": "Weird"} for i in range(100)]

    with caplog.at_level(logging.WARNING, logger="messaging.reports"):
        result = parse_delivery_reports(payload)

    assert result.unknown_statuses == 100
    assert len(result.reports) == 100
    assert len(caplog.records) == 21


def test_bad_items_are_set_aside_with_their_index_and_the_rest_is_kept():
    payload = [
        {"id": "good-1", "status": "Delivered"},
        "not a report",
        {"status": "Delivered"},
        {"id": None, "messageId": "", "status": "Delivered"},
        {"id": "   ", "status": "Delivered"},
        {"id": ["x"], "status": "Delivered"},
        {"id": True, "status": "Delivered"},
        {"id": "x" * 65, "status": "Delivered"},
        None,
        {"id": "good-2", "status": "Failed"},
    ]

    result = parse_delivery_reports(payload)

    assert [r.message_id for r in result.reports] == ["good-1", "good-2"]
    assert result.invalid == [
        InvalidItem(1, "not an object"),
        InvalidItem(2, "no message id"),
        InvalidItem(3, "no message id"),
        InvalidItem(4, "message id is blank or not a string"),
        InvalidItem(5, "message id is blank or not a string"),
        InvalidItem(6, "message id is blank or not a string"),
        InvalidItem(7, "message id longer than 64 characters"),
        InvalidItem(8, "not an object"),
    ]


def test_a_numeric_message_id_becomes_text_and_padding_is_stripped():
    assert only_report({"id": 12345, "status": "Sent"}).message_id == "12345"
    assert only_report({"id": " abc\n", "status": "Sent"}).message_id == "abc"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("r:1", "r:1"), (None, None), ("", None), (42, "42"), (["r:1"], None), ("r" * 65, None)],
)
def test_the_reference_is_kept_when_usable(reference, expected):
    assert only_report({"id": "abc", "status": "Sent", "reference": reference}).reference == expected


@pytest.mark.parametrize(
    "payload",
    ["Delivered", 42, None, True, [], [{"id": "abc"}] * (MAX_REPORTS + 1)],
    ids=["string", "number", "null", "bool", "empty-array", "too-long"],
)
def test_an_unusable_payload_is_malformed(payload):
    with pytest.raises(MalformedPayload) as caught:
        parse_delivery_reports(payload)
    assert caught.value.reason


def test_the_largest_allowed_payload_parses():
    assert len(parse_delivery_reports([{"id": "abc", "status": "Sent"}] * MAX_REPORTS).reports) == MAX_REPORTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-11T08:50:04.5000993Z", datetime(2025, 12, 11, 8, 50, 4, 500099, tzinfo=UTC)),
        ("2025-12-11T08:50:04.5Z", datetime(2025, 12, 11, 8, 50, 4, 500000, tzinfo=UTC)),
        ("2025-12-11T08:50:04.123456+00:00", datetime(2025, 12, 11, 8, 50, 4, 123456, tzinfo=UTC)),
        (
            "2025-12-11T10:50:04.1234567+02:00",
            datetime(2025, 12, 11, 10, 50, 4, 123456, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2025-12-11T08:50:04-0330", datetime(2025, 12, 11, 8, 50, 4, tzinfo=timezone(-timedelta(hours=3.5)))),
        ("2025-12-11T08:50:04", datetime(2025, 12, 11, 8, 50, 4, tzinfo=UTC)),
        ("2025-12-11 08:50:04.5000993Z", datetime(2025, 12, 11, 8, 50, 4, 500099, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_datetimes(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", ["yesterday", "2025-13-40T00:00:00Z", "", 1765443004, None, {"t": 1}])
def test_an_unreadable_time_is_none_and_the_report_is_kept(value):
    report = only_report({"id": "abc", "status": "Delivered", "updatedAt": value})
    assert (report.outcome, report.updated_at) == ("delivered", None)
