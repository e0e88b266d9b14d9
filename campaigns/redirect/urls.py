from django.urls import path

from campaigns.redirect.views import short_link

urlpatterns = [path("<str:code>", short_link, name="short-link")]
