"""Per-shop throttles, counted in the shared cache so every web process sees the same window."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ShopThrottle(SimpleRateThrottle):
    """Calls of one kind (`scope`) per shop, at the rate named by the setting `rate_setting` (e.g. "30/min")."""

    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:shop:{request.user.shop.id}"


class EnqueueThrottle(ShopThrottle):
    scope = "enqueue"
    rate_setting = "ENQUEUE_THROTTLE_RATE"


class PreflightThrottle(ShopThrottle):
    """Pre-flight counts the whole audience: a shop polling it in a loop would load the database."""

    scope = "preflight"
    rate_setting = "PREFLIGHT_THROTTLE_RATE"
