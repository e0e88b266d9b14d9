"""Searching by phone number as a merchant types it: "+30 691 111 1111", "(212) 555-0100" or "0030691…" finds
the stored E.164 number (read in the merchant's shop's region)."""

import re

from campaigns.admin.scoping import merchant_shop
from campaigns.phones import phone_normalise

_PHONE_LIKE = re.compile(r"^[+\d][\d\s().\-/]{5,30}$")


class PhoneSearchAdmin:
    """Mixed into a ModelAdmin whose model has `phone`: a search term that reads as a phone number also finds
    the number in E.164, whatever spaces, dashes or prefixes were typed."""

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not _PHONE_LIKE.match(term):
            return results, duplicates
        shop = merchant_shop(request)
        try:
            phone = phone_normalise(term, region=shop.default_region if shop else "US")
        except ValueError:
            return results, duplicates
        return results | queryset.filter(phone=phone), duplicates
