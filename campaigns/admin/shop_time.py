"""The merchant's console runs in the shop's time zone: every time the admin shows or takes (a schedule, a
finish time, the ledger's dates) is the shop's local time (`Shop.timezone`), not the server's."""

from django.utils import timezone

from campaigns.services.audience.send_summary import shop_zone


class ShopTimezoneMiddleware:
    """On admin pages, a signed-in merchant's requests run in their shop's time zone; a superuser's in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.path.startswith("/admin/") or user is None or not user.is_authenticated:
            return self.get_response(request)
        shop = _merchant_shop(user)
        if shop is None:
            return self.get_response(request)
        with timezone.override(shop_zone(shop)):
            return self.get_response(request)


def _merchant_shop(user):
    if user.is_superuser:
        return None
    membership = getattr(user, "shop_membership", None)  # None when the user belongs to no shop
    return membership.shop if membership is not None else None
