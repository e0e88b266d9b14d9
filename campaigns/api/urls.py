from django.urls import path

from campaigns.api import views_sending, views_shop

urlpatterns = [
    path("shop", views_shop.ShopView.as_view(), name="shop"),
    path("campaigns/<int:pk>/enqueue", views_sending.EnqueueView.as_view(), name="campaign-enqueue"),
    path("campaigns/<int:pk>/cancel", views_sending.CancelView.as_view(), name="campaign-cancel"),
    path("campaigns/<int:pk>/pause", views_sending.PauseView.as_view(), name="campaign-pause"),
    path("campaigns/<int:pk>/resume", views_sending.ResumeView.as_view(), name="campaign-resume"),
    path("campaigns/<int:pk>/test", views_sending.TestSendView.as_view(), name="campaign-test"),
]
