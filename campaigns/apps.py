from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "SMS campaigns"

    def ready(self):
        # Register the tasks in every process (web included): services send them by name
        # (campaigns.services.publish) and never import them.
        from campaigns import tasks  # noqa: F401
        from campaigns.webhooks import tasks as webhook_tasks  # noqa: F401
