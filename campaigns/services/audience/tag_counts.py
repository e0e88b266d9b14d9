"""The audience picker's numbers: how many messageable contacts a shop has in all, and per tag."""

from django.db import connection

from campaigns.services.audience.members import CONSENTING


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
