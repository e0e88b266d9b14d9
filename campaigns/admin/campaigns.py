"""The campaign admin: list with progress, detail with live counters, changes and actions via the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html

from campaigns.admin import campaign_display as display
from campaigns.admin.campaign_actions import ACTIONS
from campaigns.admin.messages import run_service
from campaigns.admin.scoping import ShopScopedAdmin, merchant_shop_id
from campaigns.fields import MAX_BODY_LENGTH
from campaigns.models import Campaign, Shop
from campaigns.services.campaigns import campaign_create, campaign_update
from campaigns.services.compliance.message import campaign_size
from campaigns.services.errors import DomainError

EDITED_FIELDS = ("name", "body", "sender", "audience", "scheduled_at")


def body_within_limit(body: str) -> str:
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(f"The body has {len(body)} characters; at most {MAX_BODY_LENGTH} characters.")
    return body


class CampaignForm(forms.ModelForm):
    """The campaign's fields; the body limited as in the API (the services check the rest)."""

    class Meta:
        model = Campaign
        fields = ("shop", *EDITED_FIELDS)
        help_texts = {"audience": '{"tags": ["vip"]} for contacts with any of the tags; {} for every consenting '
                                  "contact.", "body": "Placeholders: {{ first_name }}, {{ last_name }}."}

    def clean_body(self):
        return body_within_limit(self.cleaned_data["body"])


@admin.register(Campaign)
class CampaignAdmin(ShopScopedAdmin):
    form = CampaignForm
    list_display = ("name", "shop", "status_shown", "progress", "scheduled_at", "created_at")
    list_filter = ("status", "shop", "encoding")
    search_fields = ("name", "body")
    actions = ACTIONS
    show_full_result_count = False
    readonly_fields = ("status_shown", "live_counters", "preview", "cost", "preflight", "recipients_link", "encoding",
                       "segments", "enqueued_at", "finished_at")

    class Media:
        js = ("campaigns/admin_progress.js", "campaigns/admin_segments.js")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("metrics", "shop", "link_stats")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A campaign past draft/scheduled is shown without save buttons: its fields are read-only."""
        campaign = self.get_object(request, unquote(object_id))
        if campaign is not None and campaign.status not in Campaign.EDITABLE:
            extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                             "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return ()
        if obj.status not in Campaign.EDITABLE:
            return [*fields, *EDITED_FIELDS, *(("shop",) if request.user.is_superuser else ())]
        return fields

    @admin.display(description="status", ordering="status")
    def status_shown(self, obj):
        return display.status_with_reason(obj)

    @admin.display(description="progress")
    def progress(self, obj):
        return display.progress_bar(display.counters_of(obj, fresh=False))

    @admin.display(description="counters")
    def live_counters(self, obj):
        return display.counters_table(display.counters_of(obj))

    @admin.display(description="message preview")
    def preview(self, obj):
        return display.message_preview(obj)

    @admin.display(description="estimated cost")
    def cost(self, obj):
        return display.estimated_cost(obj)

    @admin.display(description="pre-flight")
    def preflight(self, obj):
        return display.preflight_panel(obj)

    @admin.display(description="recipients")
    def recipients_link(self, obj):
        url = reverse("admin:campaigns_campaignrecipient_changelist")
        return format_html('<a href="{}?campaign__id__exact={}">View recipients</a>', url, obj.id)

    def save_model(self, request, obj, form, change):
        """Create or change through the campaign services; a refusal is shown and nothing is saved."""
        data = {name: form.cleaned_data[name] for name in EDITED_FIELDS if name in form.changed_data or not change}
        if "audience" in data and not data["audience"]:
            data["audience"] = None
        if change:
            ok = run_service(request, "Save", lambda: campaign_update(campaign=obj, data=data), "saved.")
        else:
            shop = self.shop_for(request, obj)
            created = []
            ok = run_service(request, "Create", lambda: created.append(campaign_create(shop=shop, data=data)),
                             "created.")
            if ok:
                obj.pk, obj._state.adding = created[0].pk, False
        if ok:
            obj.refresh_from_db()
        else:
            request.sms_refused = True

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if level == messages.SUCCESS and getattr(request, "sms_refused", False):
            return
        super().message_user(request, message, level, *args, **kwargs)

    def get_urls(self):
        status, measure = self.admin_site.admin_view(self.status_view), self.admin_site.admin_view(self.measure_view)
        return [
            path("<int:campaign_id>/status/", status, name="campaigns_campaign_status"),
            path("measure/", measure, name="campaigns_campaign_measure"),
            *super().get_urls(),
        ]

    def measure_view(self, request):
        """Encoding and segments of the body being typed, as `campaign_size` quotes them: the shop's opt-out
        language included, each placeholder counted as 10 characters (each message is charged its own text)."""
        try:
            draft = Campaign(body=body_within_limit(request.GET.get("body", "")))
            size = campaign_size(campaign=draft, shop=self.measure_shop(request))
        except DomainError as exc:
            return JsonResponse({"error": exc.detail})
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages)})
        return JsonResponse({"encoding": size.encoding, "segments": size.segments})

    @staticmethod
    def measure_shop(request) -> Shop:
        """The merchant's shop; for a superuser the one chosen in the form (`shop`), else the opened campaign's
        (`campaign`), else an unsaved shop (no opt-out language) until one is chosen."""
        shop_id = merchant_shop_id(request)
        if shop_id is None:
            chosen, opened = (request.GET.get(name, "") for name in ("shop", "campaign"))
            if chosen.isdigit() and len(chosen) < 10:
                shop_id = int(chosen)
            elif opened.isdigit() and len(opened) < 10:
                shop_id = Campaign.objects.filter(id=int(opened)).values_list("shop_id", flat=True).first()
        return Shop.objects.filter(id=shop_id).first() or Shop()

    def status_view(self, request, campaign_id):
        """The counters as JSON for the detail page's refresh; another shop's campaign is not found."""
        campaign = self.get_queryset(request).filter(id=campaign_id).first()
        if campaign is None or not self.has_view_or_change_permission(request, campaign):
            raise Http404
        return JsonResponse(display.counters_of(campaign))
