"""Campaign recipients are written once and then updated in place a few times (sent, delivered, first click).
Leaving a fifth of each page free lets those updates stay on their page (HOT: no index entry written), which is
what lets a flush write its clicks' first-click times at the budget's rate (bench.links --only clicks). Pages
written before this keep their layout until rewritten; on SQLite (the demo) there is nothing to do."""

from django.db import migrations


def _fillfactor(value: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE campaigns_campaignrecipient SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0017_recipient_campaign_unconstrained")]

    operations = [migrations.RunPython(_fillfactor(80), _fillfactor(100))]
