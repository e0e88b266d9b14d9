"""One error shape for the whole API: {"ok": false, "reason": code, "detail": text[, "errors": {...}]}."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from campaigns.api.parsers import RequestTooLarge
from campaigns.services.errors import DomainError

REASON_STATUS = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "invalid_status": status.HTTP_409_CONFLICT,
    "opted_out": status.HTTP_409_CONFLICT,
    "no_recipients": status.HTTP_400_BAD_REQUEST,
    "invalid_body": status.HTTP_400_BAD_REQUEST,
    "invalid_sender": status.HTTP_400_BAD_REQUEST,
    "invalid_request": status.HTTP_400_BAD_REQUEST,
    "shop_inactive": status.HTTP_403_FORBIDDEN,
    "insufficient_credits": status.HTTP_402_PAYMENT_REQUIRED,
    "rate_limited": status.HTTP_429_TOO_MANY_REQUESTS,
    "provider_error": status.HTTP_502_BAD_GATEWAY,
    "not_installed": status.HTTP_409_CONFLICT,
    "sync_running": status.HTTP_409_CONFLICT,
    "invalid_pack": status.HTTP_400_BAD_REQUEST,
    "shopify_error": status.HTTP_502_BAD_GATEWAY,
}

_DRF_REASONS = {
    exceptions.NotAuthenticated: "unauthorized",
    exceptions.AuthenticationFailed: "unauthorized",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_json",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "validation_error",
}


def error_body(reason: str, detail: str, errors=None) -> dict:
    body = {"ok": False, "reason": reason, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def domain_error_response(exc: DomainError) -> Response:
    return Response(error_body(exc.reason, exc.detail), status=REASON_STATUS.get(exc.reason, 400))


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    default_reason = getattr(exc, "default_code", "error")
    reason = next((r for cls, r in _DRF_REASONS.items() if isinstance(exc, cls)), default_reason)
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(reason, "The request has invalid fields.", response.data)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        response.data = error_body(reason, str(detail))
    return response


def json_error(reason: str, detail: str, status_code: int) -> JsonResponse:
    """The same shape for plain Django views (webhooks, health, 404/500 handlers)."""
    return JsonResponse(error_body(reason, detail), status=status_code)
