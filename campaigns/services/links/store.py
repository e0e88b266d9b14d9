"""A campaign's URLs stored once per campaign (one CampaignLink row per position), which the redirect reads."""

from django.db import connection

from campaigns.models import CampaignLink
from campaigns.sms import Template


def campaign_links_store(*, campaign_id: int, template: Template) -> None:
    """Make the campaign's CampaignLink rows exactly the template's links (position → URL), in the caller's
    transaction: rows of positions the template no longer has are removed, the others written or updated. A
    campaign without links gets no row (and, having no code, no click)."""
    table = CampaignLink._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s AND position >= %s",
                       [campaign_id, len(template.links)])
        if not template.links:
            return
        values = ", ".join(["(%s, %s, %s)"] * len(template.links))
        params = [value for position, url in enumerate(template.links) for value in (campaign_id, position, url)]
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, position, url) VALUES {values}"
            " ON CONFLICT (campaign_id, position) DO UPDATE SET url = EXCLUDED.url",
            params,
        )
