"""Sending one batch: the heart of the send path.

A batch is sent at most once. The task claims it (`queued → submitting`, a conditional update committed
right before the HTTP call), so a duplicate or redelivered task does nothing; a batch whose request went
out without an answer becomes `unknown` and is never sent again. What can be retried is decided by
sending/retry.py; the request itself goes through sending/gateway.py; its answer is applied by
sending/apply.py.
"""

import logging

from django.db import InterfaceError, OperationalError, connection

from campaigns.models import Batch, Campaign
from campaigns.services.billing.pricing import message_segments
from campaigns.services.compliance.message import campaign_text
from campaigns.services.compliance.quiet_hours import recipients_to_hold
from campaigns.services.links.codes import coder, recipient_codes
from campaigns.services.sending.apply import (
    Answer,
    batch_apply_answer,
    batch_fail,
    batch_finish_empty,
    batch_mark_unknown,
)
from campaigns.services.sending.batch_states import batch_claim, batches_undispatch
from campaigns.services.sending.exclusions import recipients_exclude
from campaigns.services.sending.gateway import provider_request_take, provider_send_bulk, sender_of, traffic_account_of
from campaigns.services.sending.repricing import recipients_reprice
from campaigns.services.sending.retry import SendResult, batch_retry_or_fail, limiter_refused
from campaigns.services.sending.suspension import shop_campaigns_pause
from campaigns.sms import compile_template
from config.observability.context import bind as bind_log_context
from messaging.client import OutboundMessage
from messaging.errors import OutcomeUnknown, PermanentError, RateLimited, TransientError

logger = logging.getLogger(__name__)


def batch_recipients(*, campaign_id: int, batch_no: int) -> list[tuple]:
    """(id, phone, first_name, last_name, may_message, contact time zone, held segments) of the batch's
    queued recipients, in id order, in one query. `may_message` is the send-time consent check: false when
    the contact has withdrawn consent or opted out since enqueue, or was deleted (its consent is no longer
    on record)."""
    sql = """
        SELECT r.id, r.phone, c.first_name, c.last_name,
               COALESCE(c.sms_consent AND c.opted_out_at IS NULL, FALSE), COALESCE(c.timezone, ''), r.segments
        FROM campaigns_campaignrecipient r
        LEFT JOIN campaigns_contact c ON c.id = r.contact_id
        WHERE r.campaign_id = %s AND r.batch_no = %s AND r.status = 'queued' ORDER BY r.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, batch_no])
        return cursor.fetchall()


def _messages(*, batch: Batch) -> tuple[list[int], list[OutboundMessage]]:
    """The batch's queued recipients as rendered messages (with the shop's opt-out language and each
    recipient's own short links: links.codes), referenced `r:<recipient id>`, loaded in one query that also
    checks consent at send time: those who opted out since enqueue are cancelled (credits released) and those
    in quiet hours held, and both left out. Each text is measured: one whose segments differ from those held
    (names changed since enqueue) is repriced first, and left out when the shop cannot cover it."""
    campaign, shop = batch.campaign, batch.campaign.shop
    template = compile_template(campaign_text(campaign=campaign, shop=shop))
    rows = batch_recipients(campaign_id=campaign.id, batch_no=batch.number)
    held = recipients_to_hold(shop=shop, rows=[(row[0], row[1], row[5]) for row in rows if row[4]])
    recipients_exclude(
        campaign=campaign, batch=batch, opted_out=[row[0] for row in rows if not row[4]], held=held
    )
    skipped = {rid for rid, _ in held}
    links, keys = len(template.links), coder()
    rendered = [
        (row, template.render_names(
            row[2], row[3], recipient_codes(recipient_id=row[0], count=links, keys=keys) if links else None))
        for row in rows if row[4] and row[0] not in skipped
    ]
    repriced = {row[0]: count for row, text in rendered if (count := message_segments(text)) != row[6]}
    if repriced:
        dropped = recipients_reprice(campaign=campaign, batch=batch, segments=repriced)
        rendered = [(row, text) for row, text in rendered if row[0] not in dropped]
    sender, account = sender_of(campaign), traffic_account_of(shop)
    messages = [
        OutboundMessage(destination=row[1], text=text, sender=sender, reference=f"r:{row[0]}",
                        traffic_account_id=account)
        for row, text in rendered
    ]
    return [row[0] for row, _ in rendered], messages


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
        result = provider_send_bulk(messages)
    except RateLimited as exc:
        return batch_retry_or_fail(
            batch=batch, error="provider rate limit (429)", retry_after_s=exc.retry_after_s, reason="rate_limited"
        )
    except TransientError as exc:
        return batch_retry_or_fail(batch=batch, error=f"transient: {exc}")
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
    and apply the answer. A paused campaign's batch is put back undispatched for resume; so is the batch of
    a suspended shop, whose sending campaigns the task pauses (`shop_inactive`) without calling the provider."""
    batch = Batch.objects.select_related("campaign__shop").filter(id=batch_id).first()
    if batch is None or batch.status != Batch.Status.QUEUED:
        return SendResult("skipped")
    campaign = batch.campaign
    bind_log_context(shop_id=campaign.shop_id, campaign_id=campaign.id, batch_id=batch.id)  # until the task ends
    if not campaign.shop.is_active and campaign.status == Campaign.Status.SENDING:
        shop_campaigns_pause(shop_id=campaign.shop_id)
        campaign.status = Campaign.Status.PAUSED
    if campaign.status == Campaign.Status.PAUSED:
        batches_undispatch(batch_ids=[batch.id])
        return SendResult("paused")
    if campaign.status != Campaign.Status.SENDING:
        return SendResult("skipped")
    decision = provider_request_take(shop=campaign.shop)
    if not decision.allowed:
        return limiter_refused(batch=batch, waits=limiter_waits, decision=decision)
    ids, messages = _messages(batch=batch)
    if not ids:
        batch_finish_empty(batch=batch)
        return SendResult("submitted")
    if not batch_claim(batch=batch):
        return SendResult("skipped")
    return _submit(batch=batch, ids=ids, messages=messages)
