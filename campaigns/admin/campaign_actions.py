"""Campaign admin actions: each runs the same service as the API, one campaign at a time."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse

from campaigns.admin.messages import run_service
from campaigns.api.throttles import TestSendThrottle
from campaigns.services.campaigns import campaign_create
from campaigns.services.errors import DomainError
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.lifecycle import campaign_cancel, campaign_pause, campaign_resume
from campaigns.services.sending.one_off import campaign_test_send


def _each(request, queryset, label, call, success):
    for campaign in queryset.select_related("shop"):
        run_service(request, f"{label} “{campaign}”", lambda c=campaign: call(shop=c.shop, campaign_id=c.id), success)


def _service_action(name: str, description: str, label: str, service, success: str):
    """A changelist action running `service(shop=, campaign_id=)` on each selected campaign."""

    def action(modeladmin, request, queryset):
        _each(request, queryset, label, service, success)

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


send_now = _service_action("send_now", "Send now", "Send", campaign_enqueue, "enqueued; sending has started.")
pause = _service_action("pause", "Pause sending", "Pause", campaign_pause, "paused.")
resume = _service_action("resume", "Resume sending", "Resume", campaign_resume, "resumed.")
cancel = _service_action("cancel", "Cancel", "Cancel", campaign_cancel, "cancelled.")


@admin.action(description="Duplicate as a new draft", permissions=["add"])
def duplicate(modeladmin, request, queryset):
    for campaign in queryset.select_related("shop"):
        data = {"name": f"{campaign.name} (copy)", "body": campaign.body, "sender": campaign.sender,
                "audience": campaign.audience or None}
        run_service(request, f"Duplicate “{campaign}”",
                    lambda c=campaign, d=data: campaign_create(shop=c.shop, data=d), "new draft created.")


class TestSendForm(forms.Form):
    phone = forms.CharField(max_length=32, help_text="The number to send the test to, e.g. +306912345678.")


def _throttled_test_send(*, campaign, phone: str) -> None:
    """The API's test send with the same per-shop throttle (one window shared by the API and the admin)."""
    throttle = TestSendThrottle()
    if not throttle.allow_shop(campaign.shop):
        raise DomainError("rate_limited", f"Too many test sends; try again in {throttle.wait() or 1:.0f} s.")
    campaign_test_send(shop=campaign.shop, campaign_id=campaign.id, phone=phone)


@admin.action(description="Send a test to one number", permissions=["change"])
def send_test(modeladmin, request, queryset):
    """An intermediate page asks for the phone; the test goes out when that form is posted."""
    form = TestSendForm(request.POST if "phone" in request.POST else None)
    if form.is_bound and form.is_valid():
        phone = form.cleaned_data["phone"]
        for campaign in queryset.select_related("shop"):
            run_service(request, f"Test of “{campaign}”",
                        lambda c=campaign: _throttled_test_send(campaign=c, phone=phone), f"sent to {phone}.")
        return None
    context = {**modeladmin.admin_site.each_context(request), "form": form, "campaigns": queryset,
               "opts": modeladmin.model._meta, "action": "send_test", "title": "Send a test"}
    return TemplateResponse(request, "admin/campaigns/send_test.html", context)


ACTIONS = [send_now, pause, resume, cancel, send_test, duplicate]
