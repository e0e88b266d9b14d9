"""Pause, resume and cancel from the campaign page: each button opens a page saying what will happen (pausing
does not recall what the carrier already has: those messages still go out), and only its confirm button
calls the lifecycle service, as the changelist actions do."""

from dataclasses import dataclass

from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from campaigns.admin.campaign_display import counters_of
from campaigns.admin.messages import run_service
from campaigns.models import Campaign
from campaigns.services.sending.lifecycle import campaign_cancel, campaign_pause, campaign_resume

TEMPLATE = "admin/campaigns/lifecycle_confirm.html"
ALREADY_OUT = ("Messages already handed to the carrier are not recalled: they still go out, and their delivery "
               "reports still arrive.")


@dataclass(frozen=True)
class Change:
    label: str
    service: object
    success: str
    sources: tuple[str, ...]
    consequence: str  # what confirming does; {waiting} is the number of messages not yet handed over


CHANGES = {
    "pause": Change("Pause", campaign_pause, "paused; messages already handed to the carrier still go out.",
                    (Campaign.Status.SENDING,),
                    "No more messages are handed to the carrier while it is paused; the {waiting} not yet sent "
                    "wait until you resume. " + ALREADY_OUT),
    "resume": Change("Resume", campaign_resume, "resumed.", (Campaign.Status.PAUSED,),
                     "The {waiting} messages not yet sent go out again, each in its contact's sending window; "
                     "nobody gets the text twice."),
    "cancel": Change("Cancel", campaign_cancel, "cancelled.",
                     (*Campaign.EDITABLE, Campaign.Status.SENDING, Campaign.Status.PAUSED),
                     "The {waiting} messages not yet sent are cancelled and their credits given back; this cannot "
                     "be undone. " + ALREADY_OUT),
}


def waiting_messages(campaign: Campaign) -> int:
    """Recipients not yet handed to the carrier: queued in a batch or held for their sending window."""
    if not campaign.enqueued_at:
        return 0
    return counters_of(campaign)["metrics"]["queued"]


def lifecycle_view(model_admin, request, campaign_id: int, name: str):
    """GET: what `name` (pause, resume, cancel) will do; POST (the confirm button): do it, back to the page."""
    change = CHANGES.get(name)
    campaign = model_admin.get_queryset(request).filter(id=campaign_id).first()
    if change is None or campaign is None or not model_admin.has_change_permission(request, campaign):
        raise Http404
    if request.method == "POST":
        run_service(request, f"{change.label} “{campaign}”",
                    lambda: change.service(shop=campaign.shop, campaign_id=campaign.id), change.success)
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.id]))
    consequence = change.consequence.format(waiting=waiting_messages(campaign))
    if name == "cancel" and not campaign.enqueued_at:
        consequence = "It is not sent, now or at a scheduled time; this cannot be undone."
    context = {**model_admin.admin_site.each_context(request), "opts": Campaign._meta, "campaign": campaign,
               "title": f"{change.label} “{campaign}”?", "change": change, "allowed": campaign.status in change.sources,
               "consequence": consequence}
    return TemplateResponse(request, TEMPLATE, context)
