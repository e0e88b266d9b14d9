"""The OAuth install's URLs, under /shopify/ (Shopify sends the merchant there)."""

from django.urls import path

from campaigns.webhooks import shopify_install, shopify_purchase

urlpatterns = [
    path("install", shopify_install.install, name="shopify-install"),
    path("callback", shopify_install.callback, name="shopify-callback"),
    path("purchases/<int:purchase_id>/return", shopify_purchase.purchase_return, name="shopify-purchase-return"),
]
