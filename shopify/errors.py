"""Typed failures at the Shopify edge, one class per thing the caller does about it (SHOPIFY.md).

- `AuthError` (401): the token is dead (uninstalled, revoked, expired): refresh it or stop using it.
- `PaymentRequired` (402), `Locked` (423): the shop is frozen or locked; retry much later, do not alert.
- `Forbidden` (403): a scope is missing; `NotFound` (404): the shop or the object is gone.
- `Throttled`: still THROTTLED after the client waited as told; `TransientError`: 5xx or no connection,
  still failing after capped backoff; both are safe to retry later.
- `OutcomeUnknown`: the request was sent but no usable answer came (a mutation may have happened).
- `GraphQLError`: top-level `errors` in the answer; `UserErrors`: a mutation refused its input.
- `OAuthError`: a bad install/callback query (shop, hmac, timestamp, state) or a refused code exchange.
- `WebhookParseError`: a webhook body that is not the documented shape.

Messages never contain an access token, a client secret or a code.
"""


class ShopifyError(Exception):
    """Any failure at the Shopify edge."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class AuthError(ShopifyError):
    status = 401


class PaymentRequired(ShopifyError):
    status = 402


class Forbidden(ShopifyError):
    status = 403


class NotFound(ShopifyError):
    status = 404


class Locked(ShopifyError):
    status = 423


class Throttled(ShopifyError):
    """THROTTLED (or HTTP 429) after the client's own waits; `retry_after_s` is the last computed wait."""

    def __init__(self, message: str, *, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TransientError(ShopifyError):
    """5xx, connection refused or connect timeout, after the client's own retries."""


class OutcomeUnknown(ShopifyError):
    """The request was sent but no usable answer came."""


class GraphQLError(ShopifyError):
    """`{"errors": [...]}` in an answer; `errors` is the list as sent (messages, codes)."""

    def __init__(self, message: str, *, errors: list | None = None):
        super().__init__(message)
        self.errors = errors or []


class UserErrors(ShopifyError):
    """A mutation answered non-empty `userErrors`: a list of `{field, message, code}`."""

    def __init__(self, mutation: str, user_errors: list[dict]):
        summary = "; ".join(str(error.get("message")) for error in user_errors if isinstance(error, dict))
        super().__init__(f"{mutation} refused: {summary[:300]}")
        self.mutation = mutation
        self.user_errors = user_errors


class OAuthError(ShopifyError):
    """A refused install or callback: `reason` is a short code (invalid_shop, invalid_hmac, stale, invalid_state,
    exchange_failed), `status` the HTTP status our view answers (400 or 401)."""

    def __init__(self, reason: str, message: str, *, status: int = 400):
        super().__init__(message, status=status)
        self.reason = reason


class WebhookParseError(ShopifyError):
    """A webhook body that is not JSON or not the documented shape for its topic."""


class UnknownTopic(WebhookParseError):
    """A topic SHOPIFY.md does not describe (logged and answered 200 by the caller)."""


HTTP_ERRORS: dict[int, type[ShopifyError]] = {
    401: AuthError, 402: PaymentRequired, 403: Forbidden, 404: NotFound, 423: Locked,
}
