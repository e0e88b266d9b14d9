from django.urls import path

from campaigns.webhooks import shopify, views

urlpatterns = [
    path("mitto/dlr", views.delivery_reports, name="webhook-dlr"),
    path("mitto/inbound", views.inbound, name="webhook-inbound"),
    path("shopify", shopify.shopify_webhook, name="webhook-shopify"),
]
