"""Sending one batch: the heart of the send path.

A batch is sent at most once. The task claims it (`queued → submitting`, a conditional update committed
right before the HTTP call), so a duplicate or redelivered task does nothing; a batch whose request went
out without an answer becomes `unknown` and is never sent again. What can be retried (the provider's 429,
its 5xx, a refused connection) goes back to `queued` for at most QUEUE_ATTEMPTS attempts in all.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services import sql
from campaigns.services.batches import (
    Answer,
    batch_apply_answer,
    batch_fail,
    batch_finish_empty,
    batch_mark_unknown,
    batch_requeue,
    retry_delay,
)
from campaigns.services.compliance import campaign_text, recipients_exclude
from campaigns.services.quiet import recipients_to_hold
from campaigns.sms import compile_template
from messaging import ratelimit
from messaging.client import OutboundMessage, get_client
from messaging.errors import OutcomeUnknown, PermanentError, RateLimited, TransientError

logger = logging.getLogger(__name__)

# How often one task may wait for our own rate limiter before its batch is parked for beat instead.
LIMITER_WAITS_MAX = 600
LIMITER_PARK_S = 30
LIMITER_ERROR_WAIT_S = 5.0


@dataclass(frozen=True)
class SendResult:
    """What became of one run of a batch task. `retry_in_s` set: run the task again after that long
    (`limiter_wait`: the wait was for our own limiter and costs no attempt)."""

    status: str
    retry_in_s: float | None = None
    limiter_wait: bool = False


def sender_of(campaign: Campaign) -> str:
    return campaign.sender or campaign.shop.sender or settings.MITTO_SENDER


def traffic_account_of(shop) -> str:
    return shop.traffic_account_id or settings.MITTO_TRAFFIC_ACCOUNT_ID


def provider_request_take(*, shop) -> ratelimit.Decision:
    """Take one provider request from both of the shop's rate limits (its own, `shop:<id>`, and its traffic
    account's) in one atomic step, or from neither: every request to Mitto — a campaign batch, a test
    send, a HELP answer — goes through here. An unreachable limiter is a refusal with a short wait."""
    try:
        return ratelimit.acquire(tenant=f"shop:{shop.id}", traffic_account=traffic_account_of(shop))
    except redis.RedisError as exc:
        logger.warning("rate limiter unavailable (%s); shop %s waits", exc, shop.id)
        return ratelimit.Decision(allowed=False, retry_after_s=LIMITER_ERROR_WAIT_S, at_us=0)


def _messages(*, batch: Batch) -> tuple[list[int], list[OutboundMessage]]:
    """The batch's queued recipients as rendered messages (with the shop's opt-out language), referenced
    `r:<recipient id>`, loaded in one query that also checks consent at send time: those who opted out
    since enqueue are cancelled (credits released) and those in quiet hours held, and both left out."""
    campaign, shop = batch.campaign, batch.campaign.shop
    template = compile_template(campaign_text(campaign=campaign, shop=shop))
    rows = sql.batch_recipients(campaign_id=campaign.id, batch_no=batch.number)
    held = recipients_to_hold(shop=shop, rows=[(row[0], row[1], row[5]) for row in rows if row[4]])
    recipients_exclude(
        campaign=campaign, batch=batch, opted_out=[row[0] for row in rows if not row[4]], held=held
    )
    skipped = {rid for rid, _ in held}
    rows = [row for row in rows if row[4] and row[0] not in skipped]
    sender, account = sender_of(campaign), traffic_account_of(shop)
    messages = [
        OutboundMessage(
            destination=phone, text=template.render_names(first, last), sender=sender,
            reference=f"r:{rid}", traffic_account_id=account,
        )
        for rid, phone, first, last, _, _ in rows
    ]
    return [row[0] for row in rows], messages


def _claim(*, batch: Batch) -> bool:
    """`queued → submitting` with one more attempt, committed before the request; False when another
    delivery of the task got there first. The recipients' retry_count follows the attempts."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Batch.objects.filter(id=batch.id, status=Batch.Status.QUEUED).update(
            status=Batch.Status.SUBMITTING, attempts=F("attempts") + 1, claimed_at=now, updated_at=now
        )
        if not claimed:
            return False
        batch.refresh_from_db(fields=["attempts", "status", "claimed_at"])
        if batch.attempts > 1:
            CampaignRecipient.objects.filter(
                campaign_id=batch.campaign_id, batch_no=batch.number, status=CampaignRecipient.Status.QUEUED
            ).update(retry_count=batch.attempts - 1)
    return True


def _rate_limited(*, batch: Batch, waits: int) -> SendResult | None:
    """Take one request from both limits (the shop's and its traffic account's); None when taken, else
    the wait (no attempt used). After LIMITER_WAITS_MAX waits the batch is parked for beat instead."""
    decision = provider_request_take(shop=batch.campaign.shop)
    if decision.allowed:
        return None
    if waits < LIMITER_WAITS_MAX:
        return SendResult("waiting", retry_in_s=decision.retry_after_s + random.uniform(0, 0.05), limiter_wait=True)
    Batch.objects.filter(id=batch.id, status=Batch.Status.QUEUED).update(
        dispatched_at=None, next_attempt_at=timezone.now() + timedelta(seconds=LIMITER_PARK_S)
    )
    return SendResult("parked")


def _retry_or_fail(*, batch: Batch, error: str, retry_after_s: float | None = None) -> SendResult:
    if batch.attempts >= settings.QUEUE_ATTEMPTS:
        batch_fail(batch=batch, error=f"{error} (after {batch.attempts} attempts)")
        return SendResult("failed")
    delay = retry_delay(attempts=batch.attempts, retry_after_s=retry_after_s)
    if batch_requeue(batch=batch, delay_s=delay, error=error):
        return SendResult("retry", retry_in_s=delay)
    return SendResult("parked")


def _answer(*, ids: list[int], result) -> Answer:
    sent, failed = [], []
    for outcome in result.outcomes:
        rid = ids[outcome.index]
        if outcome.accepted:
            sent.append((rid, outcome.message_id))
        else:
            failed.append((rid, outcome.error or "rejected"))
    return Answer(bulk_id=result.bulk_id or "", sent=sent, failed=failed)


def _submit(*, batch: Batch, ids: list[int], messages: list[OutboundMessage]) -> SendResult:
    """One bulk request for the claimed batch, and what its answer (or error) does to the batch."""
    try:
        result = get_client().send_bulk(messages)
    except RateLimited as exc:
        return _retry_or_fail(batch=batch, error="provider rate limit (429)", retry_after_s=exc.retry_after_s)
    except TransientError as exc:
        return _retry_or_fail(batch=batch, error=f"transient: {exc}")
    except PermanentError as exc:
        if exc.auth:
            logger.critical("ALERT: Mitto refused our API key or IP address (%s): %s", exc.status, exc)
        batch_fail(batch=batch, error=f"permanent: {exc}")
        return SendResult("failed")
    except OutcomeUnknown as exc:
        batch_mark_unknown(batch=batch, error=f"outcome unknown: {exc}")
        return SendResult("unknown")
    _apply_surviving_a_dropped_connection(batch=batch, answer=_answer(ids=ids, result=result))
    return SendResult("submitted")


def _apply_surviving_a_dropped_connection(*, batch: Batch, answer: Answer) -> None:
    """The answer is the only record of what Mitto accepted, so a database connection that died under it
    gets one fresh connection and one more try. Applying is conditional on rows still queued and the batch
    still submitting, so if the first try did commit, the second changes nothing."""
    try:
        batch_apply_answer(batch=batch, answer=answer)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        logger.warning("database connection lost while applying batch %s's answer; reconnecting once", batch.id)
        connection.close()
        batch_apply_answer(batch=batch, answer=answer)


def batch_send(*, batch_id: int, limiter_waits: int = 0) -> SendResult:
    """Send one batch if it is still queued and its campaign still sending: take a token from both rate
    limits (the shop's and the traffic account's), render its messages, claim it, make the bulk request
    and apply the answer. A paused campaign's batch is put back undispatched for resume."""
    batch = Batch.objects.select_related("campaign__shop").filter(id=batch_id).first()
    if batch is None or batch.status != Batch.Status.QUEUED:
        return SendResult("skipped")
    campaign = batch.campaign
    if campaign.status == Campaign.Status.PAUSED:
        Batch.objects.filter(id=batch.id, status=Batch.Status.QUEUED).update(dispatched_at=None)
        return SendResult("paused")
    if campaign.status != Campaign.Status.SENDING:
        return SendResult("skipped")
    waiting = _rate_limited(batch=batch, waits=limiter_waits)
    if waiting is not None:
        return waiting
    ids, messages = _messages(batch=batch)
    if not ids:
        batch_finish_empty(batch=batch)
        return SendResult("submitted")
    if not _claim(batch=batch):
        return SendResult("skipped")
    return _submit(batch=batch, ids=ids, messages=messages)
