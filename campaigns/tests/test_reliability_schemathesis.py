"""The OpenAPI schema fuzzed with schemathesis against a running server (Django's live server, over HTTP),
authenticated as a shop: no 500 and every response conforms to the schema, on every operation, at a bounded
number of examples."""

import pytest
import responses
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application

# Loaded at collection from the app itself (pytest-django has set Django up by then; the schema view reads no
# database); the cases are then sent to the live server.
# schemathesis.pytest.from_fixture would load it lazily but breaks on pytest 9 (Function._nodeid).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def no_mitto():
    """Nothing leaves the process: any Mitto call (a test message) is answered 503 by `responses`."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://localhost")
        mock.add(responses.POST, "http://mitto.test/sms", status=503)
        mock.add(responses.POST, "http://mitto.test/sms/bulk", status=503)
        yield mock


def _probes_authorization(case) -> bool:
    """A coverage case that leaves out or mangles the Authorization header itself: sent as generated, so the
    server's 401 can be checked."""
    data = case.meta.phase.data if case.meta is not None else None
    return (getattr(data, "parameter", None) or "").lower() == "authorization"


@pytest.mark.django_db(transaction=True)  # the server's threads see what the test commits
@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_500_and_conforms_to_its_schema(case, shop_key, no_mitto, live_server):
    """Every built-in check of schemathesis 4 (what `--checks all` runs): no 500, status codes, content types,
    headers and bodies as declared, schema-valid data accepted, invalid data refused, authentication enforced
    (the key is passed as an explicit header, so the checks also probe without it)."""
    headers = None if _probes_authorization(case) else {"Authorization": f"Bearer {shop_key}"}
    case.call_and_validate(base_url=live_server.url, headers=headers)
