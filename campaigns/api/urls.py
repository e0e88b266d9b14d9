from django.urls import path

from campaigns.api import views_shop

urlpatterns = [
    path("shop", views_shop.ShopView.as_view(), name="shop"),
]
