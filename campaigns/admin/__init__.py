"""The merchant's Django admin: every model admin is scoped to the signed-in merchant's shop."""

from campaigns.admin import campaigns, contacts, recipients, shopify, shops

__all__ = ["campaigns", "contacts", "recipients", "shopify", "shops"]
