"""The OpenAPI schema fuzzed with schemathesis against the in-process WSGI app, authenticated as a shop:
no 500 and every response conforms to the schema, on every operation, at a bounded number of examples."""

import pytest
import responses
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application

# Loaded at collection (pytest-django has set Django up by then; the schema view reads no database).
# schemathesis.pytest.from_fixture would load it lazily but breaks on pytest 9 (Function._nodeid).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Like Django's test client: WSGI requests do not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def no_mitto():
    """Nothing leaves the process: any Mitto call (a test message) is answered 503 by `responses`."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://localhost")
        mock.add(responses.POST, "http://mitto.test/sms", status=503)
        mock.add(responses.POST, "http://mitto.test/sms/bulk", status=503)
        yield mock


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_500_and_conforms_to_its_schema(case, shop_key, no_mitto):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {shop_key}"}
    response = case.call_and_validate(
        checks=[not_a_server_error, response_schema_conformance],
    )
    assert response.status_code != 401, (case.headers, response.text)
