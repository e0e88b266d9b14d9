"""Sending from the campaign page: "Send now" and "Schedule" each lead to a confirmation page (recipients,
segments, exact credits, sender, the final text, the time in the shop's zone, warnings), and only its
confirm button calls the service (`campaign_enqueue`, `campaign_update`)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from campaigns.admin.messages import run_service
from campaigns.models import Campaign
from campaigns.services.audience.send_summary import SendSummary, campaign_send_summary, shop_zone
from campaigns.services.campaigns import campaign_update
from campaigns.services.errors import DomainError
from campaigns.services.sending.enqueue import campaign_enqueue

TEMPLATE = "admin/campaigns/send_confirm.html"


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label="Send at", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def clean_send_at(self):
        send_at = self.cleaned_data["send_at"]
        if send_at <= timezone.now():
            raise forms.ValidationError("This time has passed in the shop's time zone; choose a later one.")
        return send_at


def summaries_of(campaigns, send_at=None) -> tuple[list[SendSummary], list[str]]:
    """A summary per campaign, and a sentence per campaign that cannot be summarised (its body is invalid…)."""
    summaries, refused = [], []
    for campaign in campaigns:
        try:
            summaries.append(campaign_send_summary(shop=campaign.shop, campaign_id=campaign.id, send_at=send_at))
        except DomainError as exc:
            refused.append(f"“{campaign}” cannot be sent: {exc.detail}")
    return summaries, refused


def confirmation(model_admin, request, *, campaigns, mode: str, form=None, send_at=None, action: str = ""):
    summaries, refused = summaries_of(campaigns, send_at)
    title = "Confirm: send now" if mode == "send" else "Confirm: schedule"
    context = {**model_admin.admin_site.each_context(request), "opts": Campaign._meta, "title": title,
               "summaries": summaries, "refused": refused, "mode": mode, "form": form, "action": action}
    return TemplateResponse(request, TEMPLATE, context)


def _campaign(model_admin, request, campaign_id: int) -> Campaign:
    campaign = model_admin.get_queryset(request).filter(id=campaign_id).first()
    if campaign is None or not model_admin.has_change_permission(request, campaign):
        raise Http404
    return campaign


def _back(campaign: Campaign):
    return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.id]))


def send_view(model_admin, request, campaign_id: int):
    """GET: the confirmation; POST (its button): enqueue now, through `campaign_enqueue`."""
    campaign = _campaign(model_admin, request, campaign_id)
    if request.method == "POST":
        run_service(request, f"Send “{campaign}”",
                    lambda: campaign_enqueue(shop=campaign.shop, campaign_id=campaign.id), "sending has started.")
        return _back(campaign)
    return confirmation(model_admin, request, campaigns=[campaign], mode="send")


def schedule_view(model_admin, request, campaign_id: int):
    """A time entered in the shop's time zone, the confirmation for that time, and scheduling (through
    `campaign_update`) when its button is pressed; a refused time keeps the form."""
    campaign = _campaign(model_admin, request, campaign_id)
    zone = shop_zone(campaign.shop)
    with timezone.override(zone):
        initial = campaign.scheduled_at or (timezone.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
        form = ScheduleForm(request.POST or None, initial={"send_at": timezone.localtime(initial)})
        if form.is_valid() and "_confirm" in request.POST:
            send_at = form.cleaned_data["send_at"]
            local = timezone.localtime(send_at).strftime("%d %b %Y %H:%M")
            ok = run_service(request, f"Schedule “{campaign}”",
                             lambda: campaign_update(campaign=campaign, data={"scheduled_at": send_at}),
                             f"scheduled for {local} ({zone}).")
            if ok:
                return _back(campaign)
        send_at = form.cleaned_data.get("send_at") if form.is_bound and form.is_valid() else initial
        response = confirmation(model_admin, request, campaigns=[campaign], mode="schedule", form=form,
                                send_at=send_at)
        return response.render()


def bulk_send(model_admin, request, queryset):
    """The "Send now" action: the same confirmation, one per selected campaign; sent only once confirmed."""
    campaigns = list(queryset.select_related("shop"))
    if "_confirm" not in request.POST:
        return confirmation(model_admin, request, campaigns=campaigns, mode="send", action="send_now")
    for campaign in campaigns:
        run_service(request, f"Send “{campaign}”",
                    lambda c=campaign: campaign_enqueue(shop=c.shop, campaign_id=c.id), "sending has started.")
    if not campaigns:
        messages.info(request, "No campaign was selected.")
    return None
