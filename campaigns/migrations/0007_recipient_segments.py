from django.db import migrations, models

from campaigns.sms_sql import DROP_FUNCTION_SQL, create_function_sql

# Recipients enqueued before this migration were held the campaign's quoted segments each: they keep them.
_BACKFILL = """
    UPDATE campaigns_campaignrecipient AS r SET segments = c.segments
    FROM campaigns_campaign AS c
    WHERE r.campaign_id = c.id AND c.segments <> 1 AND r.status IN ('queued', 'sent', 'delivered')
"""


def _function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(create_function_sql(), params=None)  # None: its '%' is not a placeholder
    schema_editor.execute(_BACKFILL)


def _drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0006_shopify_install_and_webhook"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaignrecipient",
            name="segments",
            field=models.PositiveSmallIntegerField(db_default=1, default=1),
        ),
        migrations.RunPython(_function, _drop_function),
    ]
