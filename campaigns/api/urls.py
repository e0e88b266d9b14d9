from django.urls import path

from campaigns.api import (
    views_campaigns,
    views_compliance,
    views_contacts,
    views_credits,
    views_report,
    views_sending,
    views_shop,
    views_shopify,
    views_status,
)

urlpatterns = [
    path("shop", views_shop.ShopView.as_view(), name="shop"),
    path("shopify", views_shopify.ShopifyView.as_view(), name="shopify"),
    path("shopify/sync", views_shopify.ShopifySyncView.as_view(), name="shopify-sync"),
    path("credits/packs", views_credits.CreditPacksView.as_view(), name="credit-packs"),
    path("credits/purchase", views_credits.CreditPurchaseView.as_view(), name="credit-purchase"),
    path("credits/purchases", views_credits.CreditPurchaseListView.as_view(), name="credit-purchases"),
    path("contacts/", views_contacts.ContactListView.as_view(), name="contact-list"),
    path("contacts/bulk", views_contacts.ContactBulkView.as_view(), name="contact-bulk"),
    path("contacts/<int:pk>/", views_contacts.ContactDetailView.as_view(), name="contact-detail"),
    path("campaigns/", views_campaigns.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/<int:pk>/", views_campaigns.CampaignDetailView.as_view(), name="campaign-detail"),
    path("campaigns/<int:pk>/status", views_status.CampaignStatusView.as_view(), name="campaign-status"),
    path("campaigns/<int:pk>/report", views_report.CampaignReportView.as_view(), name="campaign-report"),
    path(
        "campaigns/<int:pk>/recipients/", views_status.CampaignRecipientsView.as_view(), name="campaign-recipients"
    ),
]

# The campaign actions, each from its own view module.
urlpatterns += [
    path("campaigns/<int:pk>/enqueue", views_sending.EnqueueView.as_view(), name="campaign-enqueue"),
    path("campaigns/<int:pk>/cancel", views_sending.CancelView.as_view(), name="campaign-cancel"),
    path("campaigns/<int:pk>/pause", views_sending.PauseView.as_view(), name="campaign-pause"),
    path("campaigns/<int:pk>/resume", views_sending.ResumeView.as_view(), name="campaign-resume"),
    path("campaigns/<int:pk>/test", views_sending.TestSendView.as_view(), name="campaign-test"),
]

# Compliance read-outs.
urlpatterns += [
    path("campaigns/<int:pk>/preflight", views_compliance.PreflightView.as_view(), name="campaign-preflight"),
    path("contacts/<int:pk>/consent", views_compliance.ContactConsentView.as_view(), name="contact-consent"),
]
