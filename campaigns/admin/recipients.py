"""Campaign recipients, read-only: filterable by status and campaign, paged without a full COUNT(*)."""

from django.contrib import admin

from campaigns.admin.scoping import CappedCountPaginator, ReadOnlyAdmin, ScopedFilter
from campaigns.models import CampaignRecipient


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(ReadOnlyAdmin):
    shop_path = "campaign__shop_id"
    list_display = ("phone", "campaign", "status", "sent_at", "delivered_at", "error")
    list_filter = ("status", ("campaign", ScopedFilter))
    search_fields = ("=phone",)
    list_select_related = ("campaign",)
    ordering = ("-id",)
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100
