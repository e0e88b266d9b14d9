"""The settings a merchant owns on their shop: sending window, frequency cap, opt-out language, HELP and STOP
answers, time zone, default region and default sender. Ops-only fields (traffic account, credits, active)
are not among them."""

from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError

from campaigns.models import Shop
from campaigns.services.senders import shop_senders

MERCHANT_SETTINGS = ("name", "quiet_hours_start", "quiet_hours_end", "frequency_cap_hours", "append_opt_out",
                     "opt_out_text", "help_text", "stop_confirmation_text", "timezone", "default_region", "sender")


def time_zone_known(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def shop_settings_update(*, shop: Shop, data: Mapping) -> Shop:
    """Save the given MERCHANT_SETTINGS of `shop` (others are ignored). ValidationError naming each bad field
    (an unknown time zone, a sender not registered to the shop); nothing is saved then. The sending window
    is `quiet_hours_start` (opens) to `quiet_hours_end` (closes), in each contact's local time; equal: all
    day; a window past midnight wraps."""
    fields = {name: data[name] for name in MERCHANT_SETTINGS if name in data}
    errors = {}
    if "timezone" in fields and not time_zone_known(fields["timezone"]):
        errors["timezone"] = [f"{fields['timezone']!r} is not a time zone name such as America/New_York."]
    if fields.get("sender") and fields["sender"] not in shop_senders(shop):
        errors["sender"] = [f"{fields['sender']!r} is not one of the shop's registered senders."]
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(shop, name, value)
    shop.save(update_fields=list(fields))
    return shop
