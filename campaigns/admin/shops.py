"""The shop (credit balance and held credits) and its credit ledger, read-only for merchants."""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from campaigns.admin.credits import add_credits
from campaigns.admin.messages import run_service
from campaigns.admin.scoping import (
    CappedCountPaginator,
    ReadOnlyAdmin,
    ScopedFilter,
    ShopScopedAdmin,
    merchant_shop_id,
)
from campaigns.admin.shop_settings import settings_view
from campaigns.models import CreditTransaction, Shop, ShopMembership
from campaigns.services.billing.ledger_summary import ledger_lines
from campaigns.services.senders import shop_senders
from campaigns.services.sending.suspension import shop_reinstate, shop_suspend

MERCHANT_VIEW = ("domain", "name", "credits", "credits_held", "registered_senders", "settings_link")


class SuperuserWrites:
    """Only a superuser adds, changes or deletes; merchants may at most view."""

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.action(description="Suspend (stop sending; campaigns paused, credits kept)", permissions=["change"])
def suspend(modeladmin, request, queryset):
    for shop in queryset:
        run_service(request, f"Suspend {shop}", lambda s=shop: shop_suspend(shop=s), "suspended.")


@admin.action(description="Lift the suspension (paused campaigns wait for the merchant)", permissions=["change"])
def lift_suspension(modeladmin, request, queryset):
    for shop in queryset:
        run_service(request, f"Reinstate {shop}", lambda s=shop: shop_reinstate(shop=s), "reinstated.")


class ShopForm(forms.ModelForm):
    """The shop's fields (the admin makes its Meta) with the default sender checked against the registry."""

    def clean_sender(self):
        """Only a registered sender may be the default (a new shop gets one with create_shop --sender)."""
        sender = self.cleaned_data["sender"]
        if sender and not (self.instance.pk and sender in shop_senders(self.instance)):
            raise forms.ValidationError(f"{sender!r} is not registered to this shop: register it with "
                                        "shop_sender first.")
        return sender


@admin.register(Shop)
class ShopAdmin(SuperuserWrites, ShopScopedAdmin):
    form = ShopForm
    shop_path = "id"
    list_display = ("domain", "name", "credits", "credits_held", "is_active")
    search_fields = ("domain", "name")
    # Suspension pauses the shop's campaigns with it: only through the actions (the service), never the field.
    readonly_fields = ("registered_senders", "is_active")
    help_texts = {"sender": "The default sender: one of the shop's registered senders (python manage.py "
                            "shop_sender DOMAIN add SENDER), or blank for the deployment's fallback sender."}

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, help_texts=self.help_texts, **kwargs)

    @admin.display(description="registered senders")
    def registered_senders(self, obj):
        return ", ".join(shop_senders(obj)) if obj.pk else "-"

    @admin.display(description="settings")
    def settings_link(self, obj):
        return format_html('<a href="{}">Change the shop\'s settings</a>', reverse("admin:campaigns_shop_settings"))

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fields(request, obj)
        return MERCHANT_VIEW

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else [*fields, *MERCHANT_VIEW]

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: settings_view(self, request))
        return [path("settings/", view, name="campaigns_shop_settings"), *super().get_urls()]

    actions = [add_credits, suspend, lift_suspension]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("add_credits", None)
        return actions


SUMMARY_PERIOD = timedelta(days=90)
KIND_LABELS = {"topup": "Credits added", "debit": "Messages outside campaigns (tests)", "hold": "Held",
               "release": "Released", "refund": "Refunded"}


def _line_view(line) -> dict:
    """A ledger line with its label and the link to its raw rows."""
    if line.campaign_id:
        rows_url = f"?campaign__id__exact={line.campaign_id}"
    else:
        rows_url = f"?kind__exact={line.kind}&campaign__isnull=True"
    return {**vars(line), "label": KIND_LABELS.get(line.kind, line.kind), "rows_url": rows_url}


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    """A merchant opening the ledger reads it summarised (`ledger_lines`); every raw row is one click away
    (`?view=rows`, or any filter)."""

    list_display = ("created_at", "shop", "kind", "delta", "held_delta", "campaign", "note")
    list_filter = ("kind", "shop", ("campaign", ScopedFilter))
    list_select_related = ("campaign", "shop")
    ordering = ("-created_at", "-id")
    paginator = CappedCountPaginator
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        shop_id = merchant_shop_id(request)
        if shop_id and not request.GET:
            return self.summary_view(request, shop_id)
        if "view" in request.GET:
            request.GET = request.GET.copy()
            del request.GET["view"]
        return super().changelist_view(request, extra_context)

    def summary_view(self, request, shop_id: int):
        shop = Shop.objects.get(id=shop_id)
        since = timezone.now() - SUMMARY_PERIOD
        lines = [_line_view(line) for line in ledger_lines(shop_id=shop_id, since=since, balance_now=shop.credits)]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Credits",
                   "lines": lines, "shop": shop, "days": SUMMARY_PERIOD.days}
        return TemplateResponse(request, "admin/campaigns/ledger_summary.html", context)


@admin.register(ShopMembership)
class ShopMembershipAdmin(SuperuserWrites, admin.ModelAdmin):
    list_display = ("user", "shop", "created_at")
    autocomplete_fields = ("shop",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
