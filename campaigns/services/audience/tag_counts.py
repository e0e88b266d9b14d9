"""The audience picker's numbers: how many messageable contacts a shop has in all, and per tag."""

from django.db import connection
from django.utils import timezone

from campaigns.fields import tags_clean
from campaigns.models import Shop
from campaigns.services.audience.members import CONSENTING, audience_breakdown
from campaigns.services.compliance.message import frequency_cap_since


def audience_tag_counts(*, shop_id: int, limit: int = 30) -> tuple[int, list[tuple[str, int]]]:
    """(messageable contacts of the shop, [(tag, messageable contacts with it)] most used first, at most
    `limit` tags). Two queries over the shop's contacts; reads only."""
    if connection.vendor == "postgresql":
        tags_of = "jsonb_array_elements_text(campaigns_contact.tags) AS tag(value)"
    else:
        tags_of = "json_each(campaigns_contact.tags) AS tag"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM campaigns_contact WHERE shop_id = %s AND {CONSENTING}", [shop_id])
        everyone = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT tag.value, count(*) FROM campaigns_contact, {tags_of} "
            f"WHERE shop_id = %s AND {CONSENTING} GROUP BY tag.value ORDER BY count(*) DESC, tag.value LIMIT %s",
            [shop_id, limit],
        )
        return everyone, [(str(tag), int(n)) for tag, n in cursor.fetchall()]


def audience_count(*, shop: Shop, tags: object) -> dict[str, int]:
    """What the picker's live count says for `tags` (a list as a campaign's audience holds it; empty: every
    consenting contact): `messaged`, the contacts an enqueue now would text, and `frequency_cap`, those with
    the tags left out because they were texted too recently. One query over the shop's contacts, reads only;
    ValueError naming the problem when `tags` is no valid tag list."""
    tags = tags_clean(tags)
    counts = audience_breakdown(shop_id=shop.id, tags=tags,
                                cap_since=frequency_cap_since(shop=shop, now=timezone.now()))
    return {"messaged": counts["messaged"], "frequency_cap": counts["frequency_cap"]}
