"""The merchant's Django admin: every model admin is scoped to the signed-in merchant's shop."""

from campaigns.admin import api_keys, campaigns, contacts, recipients, shops

__all__ = ["api_keys", "campaigns", "contacts", "recipients", "shops"]
