"""The campaign admin: list with progress, detail with live counters, changes and actions via the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from campaigns.admin import campaign_display as display
from campaigns.admin import campaign_funnel
from campaigns.admin.audience_count import audience_count_view
from campaigns.admin.campaign_actions import ACTIONS
from campaigns.admin.campaign_lifecycle import lifecycle_view
from campaigns.admin.campaign_send import schedule_view, send_view
from campaigns.admin.campaign_test_send import campaign_test_send_view
from campaigns.admin.messages import run_service
from campaigns.admin.scoping import ShopScopedAdmin, merchant_shop_id
from campaigns.admin.tag_fields import AudienceField
from campaigns.fields import MAX_BODY_LENGTH
from campaigns.models import Campaign, Shop
from campaigns.services.audience.definition import audience_tags
from campaigns.services.audience.tag_counts import audience_tag_counts
from campaigns.services.campaigns import campaign_create, campaign_fields_check, campaign_update
from campaigns.services.compliance.message import campaign_size
from campaigns.services.errors import DomainError

EDITED_FIELDS = ("name", "body", "sender", "audience", "scheduled_at")


def body_within_limit(body: str) -> str:
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(f"The body has {len(body)} characters; at most {MAX_BODY_LENGTH} characters.")
    return body


REFUSED_FIELD = {"invalid_body": "body", "invalid_sender": "sender"}


def audience_counts_text(shop_id: int) -> str:
    """The picker's counts: everyone who agreed to texts, and the most used tags."""
    everyone, tags = audience_tag_counts(shop_id=shop_id)
    listed = ", ".join(f"{tag} ({n})" for tag, n in tags)
    return f"Everyone: {everyone} contacts." + (f" Tags: {listed}." if listed else "")


def service_data(form: forms.ModelForm) -> dict:
    """The fields the services get: every edited field of a new campaign, only the changed ones of an edit."""
    adding = form.instance.pk is None
    data = {name: form.cleaned_data[name] for name in EDITED_FIELDS
            if name in form.cleaned_data and (adding or name in form.changed_data)}
    if "audience" in data and not data["audience"]:
        data["audience"] = None
    return data


class CampaignForm(forms.ModelForm):
    """The campaign's fields, checked by the same service check as a save (`campaign_fields_check`), so a
    refusal is a form error naming the field and everything typed stays on the page. `merchant_shop_id` is
    set per request (`CampaignAdmin.get_form`)."""

    merchant_shop_id = None
    audience = AudienceField(label="Send to", help_text="Tags separated by commas: contacts with any of them. "
                                                        "Empty: every contact who agreed to texts.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shop_id = self.merchant_shop_id or self.instance.shop_id
        if "audience" in self.fields and shop_id:
            self.fields["audience"].help_text += " " + audience_counts_text(shop_id)
        if "scheduled_at" in self.fields:
            zone = timezone.get_current_timezone_name()
            self.fields["scheduled_at"].help_text = f"In the shop's time zone ({zone}). Empty: a draft."

    class Meta:
        model = Campaign
        fields = ("shop", *EDITED_FIELDS)
        help_texts = {"body": "Placeholders: {{ first_name }}, {{ last_name }}."}

    def clean_body(self):
        return body_within_limit(self.cleaned_data["body"])

    def clean(self):
        cleaned = super().clean()
        shop = self.shop()
        if shop is None or self.errors:
            return cleaned
        try:
            campaign_fields_check(shop=shop, data=service_data(self))
        except DomainError as exc:
            self.add_error(REFUSED_FIELD.get(exc.reason), exc.detail)
        except ValidationError as exc:
            for name, texts in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, texts)
        return cleaned

    def shop(self) -> Shop | None:
        """The shop the campaign belongs to: the merchant's, else the one chosen, else the edited one's."""
        if self.merchant_shop_id:
            return Shop.objects.filter(id=self.merchant_shop_id).first()
        return self.cleaned_data.get("shop") or (self.instance.shop if self.instance.shop_id else None)


@admin.register(Campaign)
class CampaignAdmin(ShopScopedAdmin):
    form = CampaignForm
    list_display = ("name", "shop", "status_shown", "progress", "scheduled_at", "created_at")
    list_filter = ("status", "shop", "encoding")
    search_fields = ("name", "body")
    actions = ACTIONS
    show_full_result_count = False
    readonly_fields = ("status_shown", "live_counters", "funnel", "preview", "cost", "preflight", "recipients_link",
                       "encoding", "segments", "enqueued_at", "finished_at")

    class Media:
        js = ("campaigns/admin_progress.js", "campaigns/admin_segments.js", "campaigns/admin_audience.js")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("metrics", "shop", "link_stats")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"merchant_shop_id": merchant_shop_id(request)})

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
            edited = [name if name != "audience" else "audience_words" for name in EDITED_FIELDS]
            return [*fields, *edited, *(("shop",) if request.user.is_superuser else ())]
        return fields

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or obj.status in Campaign.EDITABLE:
            return fields
        return [name if name != "audience" else "audience_words" for name in fields if name != "audience_words"]

    @admin.display(description="sent to")
    def audience_words(self, obj):
        tags = audience_tags(obj)
        return f"Contacts tagged {', '.join(tags)}" if tags else "Every contact who agreed to texts"

    @admin.display(description="status", ordering="status")
    def status_shown(self, obj):
        return display.status_with_reason(obj)

    @admin.display(description="progress")
    def progress(self, obj):
        return display.progress_bar(display.counters_of(obj, fresh=False))

    @admin.display(description="counters")
    def live_counters(self, obj):
        return display.counters_table(obj, display.counters_of(obj))

    @admin.display(description="results")
    def funnel(self, obj):
        return campaign_funnel.funnel_panel(obj)

    @admin.display(description="message preview")
    def preview(self, obj):
        return display.message_preview(obj)

    @admin.display(description="credits")
    def cost(self, obj):
        return display.estimated_cost(obj)

    @admin.display(description="pre-flight")
    def preflight(self, obj):
        return display.preflight_panel(obj)

    @admin.display(description="recipients")
    def recipients_link(self, obj):
        url = reverse("admin:campaigns_campaignrecipient_changelist")
        export = reverse("admin:campaigns_campaignrecipient_export")
        return format_html('<a href="{}?campaign__id__exact={}">View recipients</a> · '
                           '<a href="{}?campaign={}" class="sms-export">Download them (CSV)</a>', url, obj.id, export,
                           obj.id)

    def save_model(self, request, obj, form, change):
        """Create or change through the campaign services; a refusal is shown and nothing is saved."""
        data = service_data(form)
        if change:
            ok = run_service(request, "Save", lambda: campaign_update(campaign=obj, data=data), None)
        else:
            shop = self.shop_for(request, obj)
            created = []
            ok = run_service(request, "Create", lambda: created.append(campaign_create(shop=shop, data=data)), None)
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
        send = self.admin_site.admin_view(lambda request, campaign_id: send_view(self, request, campaign_id))
        schedule = self.admin_site.admin_view(lambda request, campaign_id: schedule_view(self, request, campaign_id))
        test = self.admin_site.admin_view(
            lambda request, campaign_id: campaign_test_send_view(self, request, campaign_id))
        audience = self.admin_site.admin_view(lambda request: audience_count_view(request, self.measure_shop(request)))
        lifecycle = self.admin_site.admin_view(
            lambda request, campaign_id, name: lifecycle_view(self, request, campaign_id, name))
        return [
            path("<int:campaign_id>/status/", status, name="campaigns_campaign_status"),
            path("<int:campaign_id>/send/", send, name="campaigns_campaign_send"),
            path("<int:campaign_id>/schedule/", schedule, name="campaigns_campaign_schedule"),
            path("<int:campaign_id>/test/", test, name="campaigns_campaign_test"),
            path("<int:campaign_id>/lifecycle/<slug:name>/", lifecycle, name="campaigns_campaign_lifecycle"),
            path("measure/", measure, name="campaigns_campaign_measure"),
            path("audience-count/", audience, name="campaigns_campaign_audience_count"),
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
        return JsonResponse({"encoding": size.encoding, "segments": size.segments,
                             "words": display.size_words(size.encoding, size.segments)})

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
        counters = display.counters_of(campaign)
        return JsonResponse({**counters, "display": display.live_status(campaign, counters)})
