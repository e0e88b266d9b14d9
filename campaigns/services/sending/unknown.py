"""Settling batches whose outcome is unknown (the request went out, no answer came back).

Such a batch is never sent again. Its recipients are settled from delivery reports that carry our
reference `r:<recipient id>` but a message id we never stored (the delivery-report service keeps those
as UnmatchedReport rows). Recipients still unsettled after SEND_UNKNOWN_REVIEW_S become `failed` with
error "outcome_unknown", with no credit spent; the batch stays `unknown` so people can review it. A
customer is never messaged twice: at worst one is counted failed who did get the message.

Lock order: see campaigns.services.locks (shop, campaign and batch locked first).
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from campaigns.models import Batch, CampaignRecipient
from campaigns.services.billing.moved import NONE
from campaigns.services.locks import campaign_lock
from campaigns.services.sending.apply import recipients_fail_queued, recipients_set_status, recipients_settle
from campaigns.services.sending.lifecycle import campaign_complete_if_done
from config.observability.metrics import after_commit, observe_messages
from messaging.models import UnmatchedReport

logger = logging.getLogger(__name__)

OUTCOME_UNKNOWN = "outcome_unknown"
_STATUS_OF_OUTCOME = {"delivered": "delivered", "failed": "failed"}  # anything else: accepted, so sent


def _reports_for(batch: Batch) -> list[tuple]:
    """(report id, recipient id, message id, outcome, error) of reports naming the batch's queued
    recipients by reference, a final outcome (then the newest) first for each recipient."""
    concat = "'r:' || r.id::text" if connection.vendor == "postgresql" else "'r:' || r.id"
    query = f"""
        SELECT u.id, r.id, u.message_id, u.outcome, u.error FROM campaigns_campaignrecipient r
        JOIN messaging_unmatchedreport u ON u.reference = {concat}
        WHERE r.campaign_id = %s AND r.batch_no = %s AND r.status = 'queued'
        ORDER BY r.id, CASE WHEN u.outcome IN ('delivered', 'failed') THEN 0 ELSE 1 END,
                 u.reported_at DESC, u.id DESC
    """
    with connection.cursor() as cursor:
        cursor.execute(query, [batch.campaign_id, batch.number])
        return cursor.fetchall()


def _resolve(batch: Batch) -> int:
    """Apply the reports found for the batch's queued recipients; returns how many were settled."""
    groups: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    seen, used = set(), []
    for report_id, rid, message_id, outcome, error in _reports_for(batch):
        used.append(report_id)
        if rid not in seen:
            seen.add(rid)
            groups[_STATUS_OF_OUTCOME.get(outcome or "", "sent")].append((rid, message_id, error or ""))
    if not seen:
        return 0
    now = timezone.now()
    with transaction.atomic():
        campaign_lock(campaign_id=batch.campaign_id, batch_id=batch.id)
        moved = {
            status: recipients_set_status(
                status=status, ids=[row[0] for row in rows], message_ids=[row[1] for row in rows],
                errors=[row[2][:255] if status == "failed" else "" for row in rows], at=now,
            )
            for status, rows in groups.items()
        }
        recipients_settle(
            campaign=batch.campaign, batch_id=batch.id, sent=moved.get("sent", NONE),
            delivered=moved.get("delivered", NONE), failed=moved.get("failed", NONE),
        )
        UnmatchedReport.objects.filter(id__in=used).delete()
        # Reported by Mitto, so accepted (its answer never came), and some already final.
        after_commit(observe_messages, "accepted", sum(step.rows for step in moved.values()))
        for outcome in ("delivered", "failed"):
            after_commit(observe_messages, outcome, moved[outcome].rows if outcome in moved else 0)
    return sum(step.rows for step in moved.values())


def _give_up(batch: Batch) -> int:
    with transaction.atomic():
        campaign_lock(campaign_id=batch.campaign_id, batch_id=batch.id)
        return recipients_fail_queued(campaign=batch.campaign, batch=batch, error=OUTCOME_UNKNOWN)


def unknown_batches_resolve() -> dict[str, int]:
    """Settle what delivery reports tell about unknown batches' recipients; past the review deadline,
    mark the rest failed ("outcome_unknown", nothing debited). Completes campaigns that thereby finish."""
    deadline = timezone.now() - timedelta(seconds=settings.SEND_UNKNOWN_REVIEW_S)
    unsettled = CampaignRecipient.objects.filter(
        campaign_id=OuterRef("campaign_id"), batch_no=OuterRef("number"), status=CampaignRecipient.Status.QUEUED
    )
    pending = Batch.objects.filter(Exists(unsettled), status=Batch.Status.UNKNOWN)
    resolved = given_up = 0
    for batch in pending.select_related("campaign"):
        resolved += _resolve(batch)
        if batch.claimed_at and batch.claimed_at < deadline:
            given_up += _give_up(batch)
        campaign_complete_if_done(campaign_id=batch.campaign_id)
    if given_up:
        logger.error("%s recipients of unknown batches marked failed for review (%s)", given_up, OUTCOME_UNKNOWN)
    return {"resolved": resolved, "given_up": given_up}
