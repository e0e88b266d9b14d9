"""OpenAPI pieces drf-spectacular cannot infer: the Bearer key scheme and the error answers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "campaigns.api.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A shop's API key (create one with `manage.py create_api_key DOMAIN`).",
        }


class ErrorSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Always false.")
    reason = serializers.CharField(help_text="Stable code, e.g. not_found, invalid_status, validation_error.")
    detail = serializers.CharField(help_text="Human-readable explanation.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field errors of a validation failure, DRF style: {field: [message, …]}.",
    )


_DESCRIPTIONS = {
    400: "Invalid request: malformed JSON (`malformed_json`), invalid fields (`validation_error`), an invalid "
         "message body (`invalid_body`), a cursor the server did not issue (`invalid_cursor`) or a credit pack not on "
         "sale (`invalid_pack`).",
    401: "Missing or wrong API key (`unauthorized`).",
    402: "The shop's free credits do not cover the messages (`insufficient_credits`).",
    403: "The shop is suspended (`shop_inactive`).",
    404: "No such object for this shop (`not_found`).",
    409: "The campaign's status does not allow this (`invalid_status`), the number opted out (`opted_out`), or "
         "the shop is not installed from Shopify (`not_installed`).",
    413: "The request body is over the limit, refused before it is read (`request_too_large`): 6 MB for the bulk "
         "contact call, 64 KB for any other.",
    429: "Too many requests from this shop (`rate_limited`); try again later.",
    502: "The SMS provider did not accept the message (`provider_error`), or Shopify refused or did not answer "
         "(`shopify_error`).",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error answers an operation can give besides 401, which every one can."""
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in sorted({401, *codes})}


BODY_ERRORS = (400, 413)
