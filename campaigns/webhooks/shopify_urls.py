"""The OAuth install's URLs, under /shopify/ (Shopify sends the merchant there)."""

from django.urls import path

from campaigns.webhooks import shopify_install

urlpatterns = [
    path("install", shopify_install.install, name="shopify-install"),
    path("callback", shopify_install.callback, name="shopify-callback"),
]
