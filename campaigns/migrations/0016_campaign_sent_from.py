"""Campaign.sent_from: the sender fixed at enqueue. Campaigns already past enqueue get the sender they went out
from as read now (their own, else their shop's, else the deployment's fallback), in one UPDATE."""

from django.conf import settings
from django.db import migrations, models

_BACKFILL = """
    UPDATE campaigns_campaign SET sent_from = COALESCE(
        NULLIF(sender, ''),
        NULLIF((SELECT s.sender FROM campaigns_shop s WHERE s.id = campaigns_campaign.shop_id), ''),
        %s)
    WHERE status NOT IN ('draft', 'scheduled')
"""


def backfill(apps, schema_editor):
    schema_editor.execute(_BACKFILL, [(settings.MITTO_SENDER or "")[:16]])


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0015_shopify_sync_contact_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="sent_from",
            field=models.CharField(blank=True, db_default="", default="", max_length=16),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
