"""Campaign admin actions: each runs the same service as the API, one campaign at a time."""

from django.contrib import admin

from campaigns.admin.campaign_lifecycle import CHANGES
from campaigns.admin.campaign_send import bulk_send
from campaigns.admin.campaign_test_send import send_test_page
from campaigns.admin.messages import run_service
from campaigns.services.campaigns import campaign_create


def _each(request, queryset, label, call, success):
    for campaign in queryset.select_related("shop"):
        run_service(request, f"{label} “{campaign}”", lambda c=campaign: call(shop=c.shop, campaign_id=c.id), success)


def _service_action(name: str, description: str, label: str, service, success: str):
    """A changelist action running `service(shop=, campaign_id=)` on each selected campaign."""

    def action(modeladmin, request, queryset):
        _each(request, queryset, label, service, success)

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


@admin.action(description="Send now (after a confirmation)", permissions=["change"])
def send_now(modeladmin, request, queryset):
    return bulk_send(modeladmin, request, queryset)


def _lifecycle_action(name: str, description: str):
    change = CHANGES[name]
    return _service_action(name, description, change.label, change.service, change.success)


pause = _lifecycle_action("pause", "Pause sending")
resume = _lifecycle_action("resume", "Resume sending")
cancel = _lifecycle_action("cancel", "Cancel")


@admin.action(description="Duplicate as a new draft", permissions=["add"])
def duplicate(modeladmin, request, queryset):
    for campaign in queryset.select_related("shop"):
        data = {"name": f"{campaign.name} (copy)", "body": campaign.body, "sender": campaign.sender,
                "audience": campaign.audience or None}
        run_service(request, f"Duplicate “{campaign}”",
                    lambda c=campaign, d=data: campaign_create(shop=c.shop, data=d), "new draft created.")


@admin.action(description="Send a test to one number", permissions=["change"])
def send_test(modeladmin, request, queryset):
    """An intermediate page asks for the phone, then shows the text and its cost; the test goes out when that
    is confirmed (campaigns.admin.campaign_test_send)."""
    return send_test_page(modeladmin, request, list(queryset.select_related("shop")), action="send_test")


ACTIONS = [send_now, pause, resume, cancel, send_test, duplicate]
