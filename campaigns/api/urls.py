from django.urls import path

from campaigns.api import views_shop, views_status

urlpatterns = [
    path("shop", views_shop.ShopView.as_view(), name="shop"),
    path("campaigns/<int:pk>/status", views_status.CampaignStatusView.as_view(), name="campaign-status"),
    path(
        "campaigns/<int:pk>/recipients/", views_status.CampaignRecipientsView.as_view(), name="campaign-recipients"
    ),
]
