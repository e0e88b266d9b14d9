from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz
from config.observability.endpoint import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("campaigns.api.urls")),
    path("webhooks/", include("campaigns.webhooks.urls")),
    path("shopify/", include("campaigns.webhooks.shopify_urls")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("l/", include("campaigns.redirect.urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[], authentication_classes=[]),
        name="docs",
    ),
]

handler404 = "campaigns.api.views_errors.not_found"
handler500 = "campaigns.api.views_errors.server_error"
