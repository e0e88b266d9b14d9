"""Per-shop throttles, counted in the shared cache so every web process sees the same window."""

from types import SimpleNamespace

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ShopThrottle(SimpleRateThrottle):
    """Calls of one kind (`scope`) per shop, at the rate named by the setting `rate_setting` (e.g. "30/min")."""

    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:shop:{request.user.shop.id}"

    def allow_shop(self, shop) -> bool:
        """The same count for a caller outside the API (an admin action), spending the shop's same window."""
        return self.allow_request(SimpleNamespace(user=SimpleNamespace(shop=shop)), None)


class EnqueueThrottle(ShopThrottle):
    scope = "enqueue"
    rate_setting = "ENQUEUE_THROTTLE_RATE"


class PreflightThrottle(ShopThrottle):
    """Pre-flight counts the whole audience: a shop polling it in a loop would load the database."""

    scope = "preflight"
    rate_setting = "PREFLIGHT_THROTTLE_RATE"


class TestSendThrottle(ShopThrottle):
    """Each test send is one provider request and an SMS paid by the shop: a loop must not become a flood."""

    scope = "test_send"
    rate_setting = "TEST_SEND_THROTTLE_RATE"
