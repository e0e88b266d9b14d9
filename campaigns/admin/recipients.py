"""Campaign recipients, read-only: filterable by status and campaign, searchable by phone in any format, paged
without a full COUNT(*). Batch numbers and the provider's message ids are for ops (superusers) only."""

from django.contrib import admin
from django.http import Http404
from django.urls import path

from campaigns.admin.csv_downloads import recipients_csv
from campaigns.admin.phone_search import PhoneSearchAdmin
from campaigns.admin.scoping import CappedCountPaginator, ReadOnlyAdmin, ScopedFilter
from campaigns.models import CampaignRecipient

MERCHANT_FIELDS = ("phone", "campaign", "status", "segments", "sent_at", "delivered_at", "error")
OPS_FIELDS = ("batch_no", "mitto_message_id", "retry_count", "held_until")


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(PhoneSearchAdmin, ReadOnlyAdmin):
    shop_path = "campaign__shop_id"
    list_display = ("phone", "campaign", "status", "sent_at", "delivered_at", "error")
    list_filter = ("status", ("campaign", ScopedFilter))
    search_fields = ("=phone",)
    list_select_related = ("campaign",)
    ordering = ("-id",)
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="campaigns_campaignrecipient_export"), *super().get_urls()]

    def export_view(self, request):
        """The recipients of one of the merchant's campaigns (`?campaign=ID`) as CSV; another shop's: 404."""
        campaign_id = request.GET.get("campaign", "")
        if not campaign_id.isdigit() or len(campaign_id) > 18:
            raise Http404
        recipients = self.get_queryset(request).filter(campaign_id=int(campaign_id))
        if not recipients.exists():
            raise Http404
        return recipients_csv(recipients, f"campaign-{campaign_id}-recipients.csv")

    def get_fields(self, request, obj=None):
        return [*MERCHANT_FIELDS, *(OPS_FIELDS if request.user.is_superuser else ())]
