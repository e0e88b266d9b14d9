from django.urls import path

from campaigns.shopify_app import views

urlpatterns = [
    path("install", views.install, name="shopify-install"),
    path("callback", views.callback, name="shopify-callback"),
]
