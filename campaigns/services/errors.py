class DomainError(Exception):
    """A service's refusal. `reason` is the stable code API clients see; the API maps it to HTTP."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
