"""GET /metrics: who may scrape it (METRICS_TOKEN, else this machine only) and what it serves."""

import pytest
import redis
from django.test import Client

from config.observability.queues import _list_keys
from config.tests.scrape import LOCAL, delta, scrape


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_without_a_token_a_loopback_client_may_scrape(client, settings):
    settings.METRICS_TOKEN = ""

    for address in ("127.0.0.1", "::1"):
        response = client.get("/metrics", REMOTE_ADDR=address)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("meta", [{"REMOTE_ADDR": "10.1.2.3"},
                                  {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}])
def test_without_a_token_anyone_else_is_403_naming_the_setting(client, settings, meta):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", **meta)

    assert response.status_code == 403
    assert response.json()["reason"] == "forbidden"
    assert "METRICS_TOKEN" in response.json()["detail"]


def test_with_a_token_the_bearer_token_is_required_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics"

    missing = client.get("/metrics", **LOCAL)
    wrong = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer nope")
    right = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-metrics")

    assert (missing.status_code, missing.json()["reason"]) == (401, "unauthorized")
    assert (wrong.status_code, wrong.json()["reason"]) == (403, "forbidden")
    assert right.status_code == 200
    assert b"shopsms_" in right.content


def test_only_get_is_allowed(client):
    response = client.post("/metrics", **LOCAL)

    assert response.status_code == 405
    assert response.json()["reason"] == "method_not_allowed"


def test_queue_depth_is_read_from_the_brokers_lists(client, settings):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    send_key = _list_keys(settings.CELERY_QUEUE_SEND)[0]
    broker.delete(send_key)
    broker.rpush(send_key, "a", "b", "c")
    try:
        samples = scrape(client)
    finally:
        broker.delete(send_key)

    deployment = settings.SMS_KEY_PREFIX
    assert samples[("shopsms_queue_depth", frozenset({"deployment": deployment, "queue": "send"}.items()))] == 3
    assert samples[("shopsms_broker_up", frozenset({"deployment": deployment}.items()))] == 1


def test_a_broker_that_does_not_answer_fails_no_scrape(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    samples = scrape(client)

    assert samples[("shopsms_broker_up", frozenset({"deployment": settings.SMS_KEY_PREFIX}.items()))] == 0
    assert not any(name == "shopsms_queue_depth" for name, _ in samples)


def test_the_worker_hosts_exporter_refuses_as_the_web_view_does(settings):
    from config.observability.exporter import metrics_app

    def get(path="/metrics", **environ):
        answered = []
        body = b"".join(metrics_app("s3cret")({"PATH_INFO": path, "REQUEST_METHOD": "GET", **environ},
                                              lambda status, headers: answered.append(status)))
        return answered[0], body

    assert get(REMOTE_ADDR="127.0.0.1")[0] == "401 Unauthorized"
    assert get(HTTP_AUTHORIZATION="Bearer nope")[0] == "403 Forbidden"
    status, body = get(HTTP_AUTHORIZATION="Bearer s3cret", REMOTE_ADDR="10.1.2.3")
    assert status == "200 OK" and b"shopsms_" in body
    assert get("/other", HTTP_AUTHORIZATION="Bearer s3cret")[0] == "404 Not Found"


@pytest.mark.parametrize(("url", "endpoint"), [("/webhooks/mitto/dlr", "mitto_dlr"),
                                               ("/webhooks/mitto/inbound", "mitto_inbound"),
                                               ("/webhooks/shopify", "shopify")])
def test_each_webhook_call_is_counted_by_endpoint_and_status(client, settings, url, endpoint):
    before = scrape(client)

    response = client.post(url, data="{}", content_type="application/json")  # unsigned: refused
    after = scrape(client)

    assert response.status_code == 401
    assert delta(before, after, "shopsms_http_request_seconds_count", deployment=settings.SMS_KEY_PREFIX,
                 endpoint=endpoint, status="401") == 1
