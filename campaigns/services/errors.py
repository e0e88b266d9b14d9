from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class DomainError(Exception):
    """A service's refusal. `reason` is the stable code API clients see; the API maps it to HTTP."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def validation_error_text(exc: ValidationError) -> str:
    """One line naming each bad field, e.g. `phone: Must be a string. tags: At most 50 tags.`"""
    return " ".join(
        " ".join(messages) if name == NON_FIELD_ERRORS else f"{name}: {' '.join(messages)}"
        for name, messages in exc.message_dict.items()
    )
