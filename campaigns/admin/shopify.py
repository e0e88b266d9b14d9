"""The Shopify install (connection and sync progress) and the customers' data exports (downloadable) for
merchants, and the stored webhooks for ops. Tokens are never shown."""

import json

from django.contrib import admin
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from campaigns.admin.scoping import CappedCountPaginator, ReadOnlyAdmin
from campaigns.models import ShopifyDataExport, ShopifyInstall, ShopifyWebhook


@admin.register(ShopifyInstall)
class ShopifyInstallAdmin(ReadOnlyAdmin):
    list_display = ("shop", "connected", "installed_at", "uninstalled_at", "sync_state", "customers_seen",
                    "contacts_created", "contacts_updated", "skipped_no_phone", "last_sync_at")
    list_select_related = ("shop",)
    fields = ("shop", "scopes", "installed_at", "uninstalled_at", "suspended_by_uninstall", "webhooks_registered_at",
              "token_expires_at", "sync_state", "sync_started_at", "last_sync_at", "sync_error", "customers_seen",
              "contacts_created", "contacts_updated", "skipped_no_phone", "sync_mode", "sync_offset")

    @admin.display(boolean=True)
    def connected(self, obj):
        return obj.connected


@admin.register(ShopifyDataExport)
class ShopifyDataExportAdmin(ReadOnlyAdmin):
    """What we held about a customer when Shopify asked (customers/data_request), to hand to the customer."""

    list_display = ("created_at", "shop", "customer_id", "request_id", "download")
    list_select_related = ("shop",)
    fields = ("shop", "customer_id", "request_id", "created_at", "download")
    ordering = ("-created_at", "-id")

    def get_urls(self):
        download = path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                        name="campaigns_shopifydataexport_download")
        return [download, *super().get_urls()]

    @admin.display(description="JSON")
    def download(self, obj):
        return format_html('<a href="{}">download</a>',
                           reverse("admin:campaigns_shopifydataexport_download", args=[obj.pk]))

    def download_view(self, request, pk: int):
        export = self.get_queryset(request).filter(pk=pk).first()
        if export is None or not self.has_view_permission(request, export):
            raise Http404("No such data export.")
        response = HttpResponse(json.dumps(export.data, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="data-request-{export.request_id or export.pk}.json"'
        return response


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
