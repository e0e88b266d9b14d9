"""The shop (credit balance and held credits) and its credit ledger, read-only for merchants."""

from django import forms
from django.contrib import admin

from campaigns.admin.credits import add_credits
from campaigns.admin.messages import run_service
from campaigns.admin.scoping import CappedCountPaginator, ReadOnlyAdmin, ScopedFilter, ShopScopedAdmin
from campaigns.models import CreditTransaction, Shop, ShopMembership
from campaigns.services.senders import shop_senders
from campaigns.services.sending.suspension import shop_reinstate, shop_suspend


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

    actions = [add_credits, suspend, lift_suspension]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("add_credits", None)
        return actions


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "shop", "kind", "delta", "held_delta", "campaign", "note")
    list_filter = ("kind", "shop", ("campaign", ScopedFilter))
    list_select_related = ("campaign", "shop")
    ordering = ("-created_at", "-id")
    paginator = CappedCountPaginator
    show_full_result_count = False


@admin.register(ShopMembership)
class ShopMembershipAdmin(SuperuserWrites, admin.ModelAdmin):
    list_display = ("user", "shop", "created_at")
    autocomplete_fields = ("shop",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
