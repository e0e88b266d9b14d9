from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from campaigns.services.errors import DomainError, validation_error_text


@contextmanager
def command_errors():
    """Turn a service's refusal into a CommandError: a clear message on stderr and exit status 1."""
    try:
        yield
    except DomainError as exc:
        raise CommandError(exc.detail) from exc
    except ValidationError as exc:
        raise CommandError(validation_error_text(exc)) from exc
