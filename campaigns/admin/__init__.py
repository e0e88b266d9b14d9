"""The merchant's Django admin: every model admin is scoped to the signed-in merchant's shop."""

from django.contrib import admin

from campaigns.admin import api_keys, campaigns, contacts, credits, login_throttle, recipients, shopify, shops

admin.site.login_form = login_throttle.ThrottledAdminAuthenticationForm

__all__ = ["api_keys", "campaigns", "contacts", "credits", "login_throttle", "recipients", "shopify", "shops"]
