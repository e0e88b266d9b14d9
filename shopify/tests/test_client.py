"""The GraphQL Admin client against SHOPIFY.md: exact requests, the cost bucket, throttle waits, retries,
typed errors, and the access token kept out of logs, messages and repr."""

import json
import logging

import pytest
import requests
import responses

from shopify.client import AdminClient, throttle_wait
from shopify.errors import (
    AuthError,
    Forbidden,
    GraphQLError,
    Locked,
    NotFound,
    OutcomeUnknown,
    PaymentRequired,
    ShopifyError,
    Throttled,
    TransientError,
    UserErrors,
)
from shopify.records import ThrottleStatus

SHOP = "demo.myshopify.com"
TOKEN = "shpat_SECRET_0123456789abcdef"
URL = f"https://{SHOP}/admin/api/2026-10/graphql.json"


def cost(requested=12, available=1988.0, rate=100.0, actual=10):
    return {"requestedQueryCost": requested, "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": available, "restoreRate": rate}}


def ok(data, **bucket):
    return {"data": data, "extensions": {"cost": cost(**bucket)}}


def throttled(requested=252, available=52.0, rate=100.0):
    return {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": cost(requested, available, rate, None)}}


@pytest.fixture(autouse=True)
def app_settings(settings):
    settings.SHOPIFY_ADMIN_BASE = "https://{shop}"
    settings.SHOPIFY_API_VERSION = "2026-10"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    return AdminClient(SHOP, TOKEN, sleep=sleeps.append)


@responses.activate
def test_query_posts_the_document_and_variables_with_the_token_header(client):
    responses.post(URL, json=ok({"shop": {"name": "Demo"}}))
    assert client.query("query Q($n: Int) { shop { name } }", {"n": 1}) == {"shop": {"name": "Demo"}}
    request = responses.calls[0].request
    assert json.loads(request.body) == {"query": "query Q($n: Int) { shop { name } }", "variables": {"n": 1}}
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert request.headers["Content-Type"] == "application/json"


@responses.activate
def test_the_api_version_comes_from_settings(settings):
    settings.SHOPIFY_API_VERSION = "2027-01"
    responses.post(f"https://{SHOP}/admin/api/2027-01/graphql.json", json=ok({}))
    assert AdminClient(SHOP, TOKEN).query("{ shop { id } }") == {}


@responses.activate
def test_every_answer_updates_the_cost_bucket(client):
    responses.post(URL, json=ok({}, requested=252, available=1748.0, rate=100.0, actual=102))
    client.query("{ shop { id } }")
    assert client.last_throttle == ThrottleStatus(2000.0, 1748.0, 100.0, 252.0, 102.0)


@pytest.mark.parametrize(("cost_", "wait"), [
    (cost(requested=252, available=52.0, rate=100.0), 2.0),
    (cost(requested=10, available=50.0, rate=100.0), 0.0),
    (cost(requested=1000, available=0.0, rate=50.0), 20.0),
    (cost(requested=100000, available=0.0, rate=1.0), 60.0),  # capped
    ({}, 1.0), (None, 1.0), (cost(rate=0.0), 1.0), ({"requestedQueryCost": "x"}, 1.0),
])
def test_throttle_wait_is_cost_minus_available_over_restore_rate(cost_, wait):
    assert throttle_wait(cost_) == wait


@responses.activate
def test_a_throttled_answer_is_retried_after_the_computed_wait(client, sleeps):
    responses.post(URL, json=throttled(requested=252, available=52.0, rate=100.0))
    responses.post(URL, json=throttled(requested=252, available=202.0, rate=50.0))
    responses.post(URL, json=ok({"customers": {"nodes": []}}))
    assert client.query("{ customers(first: 250) { nodes { id } } }") == {"customers": {"nodes": []}}
    assert sleeps == [2.0, 1.0]
    assert len(responses.calls) == 3
    assert responses.calls[0].request.body == responses.calls[2].request.body


@responses.activate
def test_still_throttled_after_the_allowed_waits_is_throttled(sleeps):
    responses.post(URL, json=throttled())
    client = AdminClient(SHOP, TOKEN, sleep=sleeps.append, max_throttle_waits=3)
    with pytest.raises(Throttled) as error:
        client.query("{ shop { id } }")
    assert error.value.retry_after_s == 2.0 and len(responses.calls) == 4 and sleeps == [2.0] * 3


@responses.activate
def test_http_429_waits_retry_after(client, sleeps):
    responses.post(URL, status=429, headers={"Retry-After": "3"})
    responses.post(URL, status=429)
    responses.post(URL, json=ok({"x": 1}))
    assert client.query("{ x }") == {"x": 1}
    assert sleeps == [3.0, 1.0]


@responses.activate
def test_5xx_is_retried_with_capped_backoff_then_transient(sleeps):
    responses.post(URL, status=502)
    client = AdminClient(SHOP, TOKEN, sleep=sleeps.append, max_attempts=6, backoff_base_s=1.0, backoff_cap_s=4.0)
    with pytest.raises(TransientError) as error:
        client.query("{ x }")
    assert error.value.status == 502
    assert sleeps == [1.0, 2.0, 4.0, 4.0, 4.0] and len(responses.calls) == 6


@responses.activate
def test_5xx_then_success(client, sleeps):
    responses.post(URL, status=503)
    responses.post(URL, json=ok({"x": 1}))
    assert client.query("{ x }") == {"x": 1} and sleeps == [0.5]


@responses.activate
@pytest.mark.parametrize(("status", "kind"), [(401, AuthError), (402, PaymentRequired), (403, Forbidden),
                                              (404, NotFound), (423, Locked), (400, ShopifyError)])
def test_http_errors_are_typed_and_not_retried(client, sleeps, status, kind):
    responses.post(URL, status=status, json={"errors": "[API] Invalid API key or access token"})
    with pytest.raises(kind) as error:
        client.query("{ x }")
    assert error.value.status == status and len(responses.calls) == 1 and sleeps == []
    assert "Invalid API key" in str(error.value)


@responses.activate
def test_graphql_errors_are_graphql_error(client):
    responses.post(URL, json={"errors": [{"message": "Field 'nope' doesn't exist", "extensions": {"code": "x"}}]})
    with pytest.raises(GraphQLError, match="nope") as error:
        client.query("{ nope }")
    assert error.value.errors[0]["message"] == "Field 'nope' doesn't exist"


@responses.activate
@pytest.mark.parametrize("body", [b"<html>oops</html>", b"[]", b'{"data": null}', b'{"data": []}'])
def test_a_malformed_answer_is_a_shopify_error(client, body):
    responses.post(URL, body=body)
    with pytest.raises(ShopifyError, match="malformed"):
        client.query("{ x }")


@responses.activate
def test_user_errors_of_a_mutation_are_raised(client):
    responses.post(URL, json=ok({"m": {"userErrors": [{"field": ["input"], "message": "Customer not found",
                                                       "code": "INVALID"}]}}))
    with pytest.raises(UserErrors, match="Customer not found") as error:
        client.mutate("mutation { m }", {}, field="m")
    assert error.value.user_errors == [{"field": ["input"], "message": "Customer not found", "code": "INVALID"}]


@responses.activate
def test_a_mutation_without_its_field_is_malformed(client):
    responses.post(URL, json=ok({"other": {}}))
    with pytest.raises(ShopifyError, match="malformed"):
        client.mutate("mutation { m }", {}, field="m")


@responses.activate
def test_a_mutation_is_not_retried_after_a_read_timeout(client, sleeps):
    responses.post(URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(OutcomeUnknown):
        client.mutate("mutation { m }", {}, field="m")
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_a_query_is_retried_after_a_read_timeout(client, sleeps):
    responses.post(URL, body=requests.ReadTimeout("slow"))
    responses.post(URL, json=ok({"x": 1}))
    assert client.query("{ x }") == {"x": 1} and sleeps == [0.5]


@responses.activate
def test_a_refused_connection_is_transient(sleeps):
    responses.post(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(TransientError):
        AdminClient(SHOP, TOKEN, sleep=sleeps.append, max_attempts=2).query("{ x }")


@responses.activate
def test_the_token_is_never_logged_nor_in_messages_or_repr(client, caplog):
    echo = {"errors": f"[API] Invalid API key or access token {TOKEN}"}
    responses.post(URL, status=401, json=echo)
    responses.post(URL, status=500, json=echo)
    responses.post(URL, json={"errors": [{"message": f"bad token {TOKEN}"}]})
    responses.post(URL, body=f"not json {TOKEN}")
    messages = [repr(client)]
    with caplog.at_level(logging.DEBUG):
        for _ in range(4):
            with pytest.raises(ShopifyError) as error:
                AdminClient(SHOP, TOKEN, sleep=lambda s: None, max_attempts=1).query("{ x }")
            messages.append(str(error.value))
    assert caplog.records, "the failures were logged"
    assert TOKEN not in caplog.text and all(TOKEN not in message for message in messages)
    assert "[redacted]" in caplog.text


@responses.activate
def test_a_malformed_customer_answer_is_logged_without_its_personal_data(client, caplog):
    responses.post(URL, json={"data": None, "customers": [{"firstName": "Ada", "phone": "+12125550100"}]})
    with caplog.at_level(logging.DEBUG), pytest.raises(ShopifyError, match="malformed"):
        client.query("{ customers(first: 1) { nodes { id } } }")
    assert "customers" in caplog.text and "+12125550100" not in caplog.text and "Ada" not in caplog.text
