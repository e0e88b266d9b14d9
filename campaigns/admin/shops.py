"""The shop (credit balance and held credits) and its credit ledger, read-only for merchants."""

from django.contrib import admin

from campaigns.admin.messages import run_service
from campaigns.admin.scoping import CappedCountPaginator, ReadOnlyAdmin, ScopedFilter, ShopScopedAdmin
from campaigns.models import CreditTransaction, Shop, ShopMembership
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


@admin.register(Shop)
class ShopAdmin(SuperuserWrites, ShopScopedAdmin):
    shop_path = "id"
    list_display = ("domain", "name", "credits", "credits_held", "is_active")
    search_fields = ("domain", "name")
    actions = (suspend, lift_suspension)
    # Suspension pauses the shop's campaigns with it: only through the actions (the service), never the field.
    readonly_fields = ("is_active",)


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
