"""The Shopify install (connection and sync progress) for merchants, and the stored webhooks for ops. Tokens are
never shown."""

from django.contrib import admin

from campaigns.admin.scoping import CappedCountPaginator, ReadOnlyAdmin
from campaigns.models import ShopifyInstall, ShopifyWebhook


@admin.register(ShopifyInstall)
class ShopifyInstallAdmin(ReadOnlyAdmin):
    list_display = ("shop", "connected", "installed_at", "uninstalled_at", "sync_state", "customers_seen",
                    "contacts_created", "contacts_updated", "skipped_no_phone", "last_sync_at")
    list_select_related = ("shop",)
    fields = ("shop", "scopes", "installed_at", "uninstalled_at", "suspended_by_uninstall", "webhooks_registered_at",
              "token_expires_at", "sync_state", "sync_started_at", "last_sync_at", "sync_error", "customers_seen",
              "contacts_created", "contacts_updated", "skipped_no_phone")

    @admin.display(boolean=True)
    def connected(self, obj):
        return obj.connected


@admin.register(ShopifyWebhook)
class ShopifyWebhookAdmin(admin.ModelAdmin):
    """Ops only: the raw deliveries (they hold customers' personal data)."""

    list_display = ("received_at", "topic", "shop_domain", "webhook_id", "processed_at", "attempts", "error")
    list_filter = ("topic",)
    search_fields = ("webhook_id", "shop_domain")
    ordering = ("-received_at", "-id")
    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
