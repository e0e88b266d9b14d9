"""The OpenAPI schema fuzzed with schemathesis against a running server (Django's live server, over HTTP),
authenticated as a shop: no 500 and every response conforms to the schema, on every operation, at a bounded
number of examples."""

import pytest
import responses
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

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
    """A negative case that leaves out or mangles the Authorization header (alone or among other mutations):
    sent as generated, so the server's 401 is what the checks see."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    if "authorization" not in {name.lower() for name in case.headers or {}}:
        return True
    data = meta.phase.data
    touched = [getattr(data, "parameter", None), *(m.parameter for m in getattr(data, "mutations", None) or ())]
    return "authorization" in {(name or "").lower() for name in touched}


# What a JSON schema cannot state: whether a phone number exists in its numbering plan, whether a sender is one
# of the shop's, whether a time is still in the future, whether a body's braces form a placeholder, whether a
# cursor was issued by this server. A schema-valid request carrying one of these may be refused with a 400, so
# for it (and only for it) the "schema-valid data is accepted" check is left out.
def _carries_a_value_the_schema_cannot_judge(case) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    text = body.get("body")
    return bool(
        "cursor" in (case.query or {}) or "phone" in body or body.get("sender") or body.get("scheduled_at")
        or (isinstance(text, str) and ("{{" in text or "}}" in text))
    )


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
    unjudged = [positive_data_acceptance] if _carries_a_value_the_schema_cannot_judge(case) else None
    case.call_and_validate(base_url=live_server.url, headers=headers, excluded_checks=unjudged)
