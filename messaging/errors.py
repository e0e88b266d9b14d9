"""Typed failures of a call to Mitto, one class per thing the caller does about it (see MITTO.md, "Errors").

- `RateLimited` and `TransientError`: Mitto did not take the request; retry later.
- `PermanentError`: Mitto refused the request; fail it, no retry, no debit (`auth` means alert too).
- `OutcomeUnknown`: the request was sent but no usable answer came; Mitto may have sent the messages,
  so never resend blindly.

Messages never contain the API key.
"""


class MittoError(Exception):
    """Any failure of a call to Mitto."""


class RateLimited(MittoError):
    """429: too many requests. `retry_after_s` is Mitto's Retry-After in seconds, when it sent one."""

    def __init__(self, message: str = "rate limited by Mitto", *, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TransientError(MittoError):
    """5xx, connection refused or connect timeout: the request did not reach Mitto or Mitto did not take it."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class PermanentError(MittoError):
    """Mitto refused the request (400, 401, 403, other 4xx) or it could not be built; retrying will not help."""

    def __init__(self, message: str, *, status: int | None, auth: bool = False):
        super().__init__(message)
        self.status = status
        self.auth = auth


class OutcomeUnknown(MittoError):
    """The request was sent but no usable answer came: Mitto may or may not have sent the messages."""
