"""The shop (credit balance and held credits) and its credit ledger, read-only for merchants."""

from django.contrib import admin

from campaigns.admin.credits import add_credits
from campaigns.admin.scoping import CappedCountPaginator, ReadOnlyAdmin, ScopedFilter, ShopScopedAdmin
from campaigns.models import CreditTransaction, Shop, ShopMembership


class SuperuserWrites:
    """Only a superuser adds, changes or deletes; merchants may at most view."""

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Shop)
class ShopAdmin(SuperuserWrites, ShopScopedAdmin):
    shop_path = "id"
    list_display = ("domain", "name", "credits", "credits_held", "is_active")
    search_fields = ("domain", "name")
    actions = [add_credits]

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
