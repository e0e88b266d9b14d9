"""Provider traffic that is not a campaign recipient, and delivery reports that matched nothing yet."""

from django.db import models


class MessageLog(models.Model):
    """One message to or from Mitto outside campaigns: test sends, automatic replies, inbound SMS."""

    class Direction(models.TextChoices):
        OUTBOUND = "out"
        INBOUND = "in"

    shop = models.ForeignKey("campaigns.Shop", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=16)
    phone = models.CharField(max_length=20, db_index=True)
    sender = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True)
    reference = models.CharField(max_length=64, blank=True)
    mitto_message_id = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, blank=True)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class UnmatchedReport(models.Model):
    """A delivery report whose message id matched no recipient yet.

    Kept so a report that overtakes the commit storing its message id is applied later, not lost.
    """

    message_id = models.CharField(max_length=64, db_index=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    outcome = models.CharField(max_length=10, blank=True)
    error = models.CharField(max_length=255, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
