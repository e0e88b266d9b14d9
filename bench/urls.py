"""The product's URLs unchanged, plus the bench's bare baseline views under /_bench/."""

from django.urls import path

from bench import views
from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    *product_urlpatterns,
    path("_bench/dlr", views.bare_dlr, name="bench-bare-dlr"),
    path("_bench/shopify", views.bare_shopify_webhook, name="bench-bare-shopify"),
    path("_bench/l/<str:code>", views.bare_redirect, name="bench-bare-redirect"),
]
