"""The JSON parser of the API: DRF's, with the body size checked before anything is read or parsed, and safe
against pathological nesting.

Each view may name its own limit (`max_body_bytes`); the default fits every single-object call with room to
spare (a campaign body of 1,600 characters, every one escaped as \\uXXXX\\uXXXX, is 19 KB). The bulk contact
call takes API_BULK_BODY_MAX_BYTES (config.settings; what it is sized to is written there).
"""

import io

from django.conf import settings
from rest_framework import exceptions, parsers, status

API_BODY_MAX_BYTES = 64 * 1024


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class RequestTooLarge(exceptions.APIException):
    """413 `request_too_large`. Defined here, not in `errors`, because DRF imports this parser while
    `rest_framework.views` (which `errors` needs) is still loading."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "request_too_large"


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"The request body is larger than {limit} bytes, the most this endpoint accepts.")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = getattr(parser_context.get("view"), "max_body_bytes", None) or API_BODY_MAX_BYTES
        limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or limit)
        request = parser_context.get("request")
        if request is not None and _declared_length(request) > limit:
            raise _too_large(limit)
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise _too_large(limit)
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as exc:
            # Deep nesting makes the json module raise RecursionError, which DRF would let through as a 500.
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
