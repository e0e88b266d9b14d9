"""The pre-flight's count of an audience in quiet hours now, without a Python pass per contact: grouped by
phone prefix, each group decided by compliance/quiet_hours.py the way the send path decides each number."""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from campaigns.models import Shop
from campaigns.services.audience import members
from campaigns.services.compliance import quiet_hours
from campaigns.services.compliance.quiet_hours import GROUP_DIGITS, HeldNow, zone_info
from campaigns.services.compliance.quiet_laws import recipient_window

STREAM_CHUNK = 5000


def audience_held_now(*, shop: Shop, tags: Sequence[str], cap_since: datetime | None) -> int:
    """How many of the contacts an enqueue now would message are outside their window at this moment, so
    that a batch sent now would hold them (recipients_to_hold decides each the same way). One GROUP BY of
    the audience by contact zone and first GROUP_DIGITS phone digits (which also name the law that applies)
    settles almost every contact; only the groups whose numbers can fall on both sides of the window (see
    compliance/quiet_hours.py) are streamed through a server-side cursor and looked at per number, with
    per-prefix caches. 0 when quiet hours are not enforced."""
    if not settings.QUIET_HOURS_ENFORCED:
        return 0
    start, end = shop.quiet_hours_start, shop.quiet_hours_end
    held_now, held, undecided = HeldNow(quiet_hours.now()), 0, set()
    audience = {"shop_id": shop.id, "tags": tags, "cap_since": cap_since}
    for contact_zone, digits, count in members.audience_zone_groups(**audience, digits=GROUP_DIGITS):
        window = recipient_window(start, end, f"+{digits}")
        if window is None:
            continue
        if contact_zone and zone_info(contact_zone):
            held += count * held_now.zones((contact_zone,), window)
            continue
        decided = held_now.prefix(digits, window)
        if decided is None:
            undecided.add(digits)
        else:
            held += count * decided
    if undecided:
        streamed = members.audience_phones_streamed(
            **audience, digits=GROUP_DIGITS, prefixes=sorted(undecided), chunk=STREAM_CHUNK
        )
        for rows in streamed:
            held += sum(held_now.contact(phone, contact_zone, recipient_window(start, end, phone))
                        for contact_zone, phone in rows if not (contact_zone and zone_info(contact_zone)))
    return held
