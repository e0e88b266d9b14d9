from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "SMS campaigns"

    def ready(self):
        from django.db.backends.signals import connection_created

        # Register the tasks in every process (web included): services send them by name
        # (campaigns.services.publish) and never import them.
        from campaigns import tasks  # noqa: F401
        from campaigns.sms_sql import sqlite_register
        from campaigns.webhooks import tasks as webhook_tasks  # noqa: F401

        # SQLite (the embedded demo) prices recipients at enqueue with the same function as PostgreSQL.
        connection_created.connect(sqlite_register, dispatch_uid="campaigns.sms_segments")
