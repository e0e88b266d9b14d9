"""Running a service from the admin: its refusal becomes an error message and nothing changes."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError

from campaigns.services.errors import DomainError, validation_error_text


def run_service(request, label: str, work: Callable[[], object], success: str | None) -> bool:
    """Call `work()`; report `success` (None: say nothing, the page says it) or the service's refusal in a
    sentence. True when it succeeded."""
    try:
        work()
    except DomainError as exc:
        messages.error(request, f"{label} was not done: {exc.detail}")
        return False
    except ValidationError as exc:
        messages.error(request, f"{label} was not done: {validation_error_text(exc)}")
        return False
    if success is not None:
        messages.success(request, f"{label}: {success}")
    return True
