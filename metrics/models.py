"""Campaign counters, kept incrementally in the same transaction as the state change they count."""

from django.db import models


class CampaignMetrics(models.Model):
    """Counters of one campaign's recipients by state.

    `sent` counts accepted messages not failed since (delivered included); `held` counts queued recipients
    waiting for their quiet hours to end (a part of `queued`). processed = sent + failed + cancelled.
    """

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, primary_key=True, related_name="metrics"
    )
    total = models.BigIntegerField(default=0)
    queued = models.BigIntegerField(default=0)
    sent = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    cancelled = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def processed(self):
        return self.sent + self.failed + self.cancelled
