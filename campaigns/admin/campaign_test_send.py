"""A test send from the console: the merchant types a number, sees the text as that number gets it (names
from the shop's contact with that number, else sample names, and which) and what it costs, and only the
confirm button sends it. Used by the changelist action and the campaign page's "Send a test…" button."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from campaigns.admin.messages import run_service
from campaigns.api.throttles import TestSendThrottle
from campaigns.services.errors import DomainError, validation_error_text
from campaigns.services.sending.one_off import TestMessage, campaign_test_quote, campaign_test_send

TEMPLATE = "admin/campaigns/send_test.html"


class TestSendForm(forms.Form):
    phone = forms.CharField(max_length=32, help_text="The number to send the test to, e.g. +306912345678.")


def cost_words(segments: int) -> str:
    return f"{segments} credit{'s' if segments != 1 else ''} ({segments} text message{'s' if segments != 1 else ''})"


def names_words(test: TestMessage) -> str:
    """Whose names fill the placeholders, in the merchant's words."""
    if test.contact is None:
        return "sample names ({} {}): this number is not one of your contacts".format(*test.names)
    name = " ".join(part for part in test.names if part) or "no name saved"
    return f"your contact with this number ({name})"


def _throttled_send(*, campaign, phone: str) -> TestMessage:
    """The API's test send with the same per-shop throttle (one window shared by the API and the admin)."""
    throttle = TestSendThrottle()
    if not throttle.allow_shop(campaign.shop):
        raise DomainError("rate_limited", f"Too many test sends; try again in {throttle.wait() or 1:.0f} s.")
    return campaign_test_send(shop=campaign.shop, campaign_id=campaign.id, phone=phone).test


def _send(request, campaign, phone: str) -> None:
    sent = []
    ok = run_service(request, f"Test of “{campaign}”",
                     lambda: sent.append(_throttled_send(campaign=campaign, phone=phone)), None)
    if ok:
        test = sent[0]
        messages.success(request, f"Test of “{campaign}”: sent to {test.message.destination}, "
                                  f"{cost_words(test.segments)} charged; names from {names_words(test)}.")


def _quotes(campaigns, phone: str, form: TestSendForm) -> list[dict]:
    """Each campaign's test message to `phone` and its cost; a refusal is a form error (nothing sent)."""
    quotes = []
    for campaign in campaigns:
        try:
            test = campaign_test_quote(shop=campaign.shop, campaign_id=campaign.id, phone=phone)
        except DomainError as exc:
            form.add_error(None, f"“{campaign}”: {exc.detail}")
        except ValidationError as exc:
            phone_errors = getattr(exc, "error_dict", {}).get("phone")
            form.add_error("phone" if phone_errors else None, phone_errors or validation_error_text(exc))
        else:
            quotes.append({"campaign": campaign, "test": test, "cost": cost_words(test.segments),
                           "names": names_words(test)})
    return quotes


def send_test_page(model_admin, request, campaigns, *, action: str = ""):
    """POST without a phone: the form. With a phone: the quote (text, names, cost) and the confirm button.
    With `_confirm` too: the test goes out (None: the caller redirects and shows the messages), unless the
    phone was changed after the quote shown (`quoted`): then the new number's quote is shown first."""
    form = TestSendForm(request.POST if "phone" in request.POST else None)
    quotes = []
    if form.is_bound and form.is_valid():
        phone = form.cleaned_data["phone"]
        if "_confirm" in request.POST and request.POST.get("quoted", phone) == phone:
            for campaign in campaigns:
                _send(request, campaign, phone)
            return None
        quotes = _quotes(campaigns, phone, form)
    context = {**model_admin.admin_site.each_context(request), "form": form, "campaigns": campaigns,
               "quotes": quotes if not form.errors else [], "opts": model_admin.model._meta, "action": action,
               "title": "Send a test"}
    return TemplateResponse(request, TEMPLATE, context)


def campaign_test_send_view(model_admin, request, campaign_id: int):
    """The campaign page's "Send a test…": the same page for one campaign, back to the campaign once sent."""
    campaign = model_admin.get_queryset(request).filter(id=campaign_id).first()
    if campaign is None or not model_admin.has_change_permission(request, campaign):
        raise Http404
    response = send_test_page(model_admin, request, [campaign])
    if response is None:
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.id]))
    return response
