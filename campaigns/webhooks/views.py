"""Mitto's webhooks (API.md "Webhooks"): thin views that authenticate, decode, call one service, answer.

The shared secret settings.MITTO_WEBHOOK_SECRET comes as header X-Webhook-Token or query ?token= and is
compared in constant time. With no secret configured every call is refused (401): an open endpoint would
let anyone mark messages delivered or opt customers out. Nothing a caller sends yields a 500: a body
that is not usable JSON, too large or of the wrong shape is a 400 in the API's error shape. Each call is
counted and timed (`shopsms_http_request_seconds{endpoint="mitto_dlr"|"mitto_inbound"}`), and what became
of the delivery reports is counted (`shopsms_delivery_reports`).
"""

import functools
import hmac
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from campaigns.api.errors import json_error
from campaigns.services.reports.delivery import delivery_reports_apply
from campaigns.services.reports.inbound import inbound_message_handle
from config.observability.metrics import observe_reports, timed_view
from messaging.inbound import parse_inbound
from messaging.reports import MalformedPayload, parse_delivery_reports

logger = logging.getLogger(__name__)

# 10,000 reports (the parser's maximum) of a few hundred bytes each fit well within this.
MAX_BODY_BYTES = 8 * 1024 * 1024


class _BadBody(Exception):
    pass


def _authenticated(request) -> bool:
    secret = settings.MITTO_WEBHOOK_SECRET
    given = request.headers.get("X-Webhook-Token") or request.GET.get("token") or ""
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def _payload(request):
    """The decoded JSON body; raises _BadBody when it is too large or not JSON."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        if declared > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
            raise _BadBody(f"the body is larger than {MAX_BODY_BYTES} bytes")
        return json.loads(request.body)
    except RequestDataTooBig as exc:
        raise _BadBody(f"the body is larger than {MAX_BODY_BYTES} bytes") from exc
    except (ValueError, RecursionError) as exc:
        raise _BadBody("the body is not valid JSON") from exc


def webhook(handler):
    """POST only, authenticated, JSON decoded: `handler(payload)` answers; MalformedPayload becomes 400."""

    @csrf_exempt
    @functools.wraps(handler)
    def view(request):
        if request.method != "POST":
            response = json_error("method_not_allowed", f'Method "{request.method}" not allowed.', 405)
            response["Allow"] = "POST"
            return response
        if not _authenticated(request):
            return json_error("unauthorized", "Missing or wrong webhook token.", 401)
        try:
            return handler(_payload(request))
        except (_BadBody, MalformedPayload) as exc:
            return json_error("malformed_payload", str(exc), 400)

    return view


@timed_view("mitto_dlr")
@webhook
def delivery_reports(payload):
    """One delivery report or an array of them: applied, then 202 with what became of them."""
    parsed = parse_delivery_reports(payload)
    if not parsed.reports:
        reasons = "; ".join(sorted({item.reason for item in parsed.invalid}))
        raise MalformedPayload(f"no usable delivery report ({reasons})")
    if parsed.invalid:
        logger.warning("%d unusable delivery report item(s) skipped: %s", len(parsed.invalid), parsed.invalid[:5])
    result = delivery_reports_apply(reports=parsed.reports)
    ignored = result.ignored + len(parsed.invalid)
    observe_reports(applied=result.applied, unknown=result.unknown, ignored=ignored)
    return JsonResponse(
        {"ok": True, "applied": result.applied, "unknown": result.unknown, "ignored": ignored}, status=202
    )


@timed_view("mitto_inbound")
@webhook
def inbound(payload):
    """One inbound SMS: STOP/START applied, every message logged; 202."""
    result = inbound_message_handle(message=parse_inbound(payload))
    return JsonResponse({"ok": True, "keyword": result.keyword, "contacts": result.contacts}, status=202)
