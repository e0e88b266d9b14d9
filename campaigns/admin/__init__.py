"""The merchant's Django admin: every model admin is scoped to the signed-in merchant's shop."""

from django.contrib import admin

from campaigns.admin import api_keys, campaigns, contacts, credits, login_throttle, recipients, shopify, shops

admin.site.login_form = login_throttle.ThrottledAdminAuthenticationForm
admin.site.site_header = admin.site.site_title = "Shop SMS"
admin.site.index_title = "Your SMS marketing"
admin.site.site_url = None  # no public site: no "View site" link
admin.site.index_template = "admin/campaigns/index.html"

__all__ = ["api_keys", "campaigns", "contacts", "credits", "login_throttle", "recipients", "shopify", "shops"]
