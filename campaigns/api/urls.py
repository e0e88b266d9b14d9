from django.urls import path

from campaigns.api import views_campaigns, views_contacts, views_shop

urlpatterns = [
    path("shop", views_shop.ShopView.as_view(), name="shop"),
    path("contacts/", views_contacts.ContactListView.as_view(), name="contact-list"),
    path("contacts/bulk", views_contacts.ContactBulkView.as_view(), name="contact-bulk"),
    path("contacts/<int:pk>/", views_contacts.ContactDetailView.as_view(), name="contact-detail"),
    path("campaigns/", views_campaigns.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/<int:pk>/", views_campaigns.CampaignDetailView.as_view(), name="campaign-detail"),
]

# The campaign actions (enqueue, cancel, pause, resume, test, status, recipients) add their paths below,
# each from its own view module: `campaigns/<int:pk>/<action>`.
