"""Automatic answers to replies: the HELP/INFO answer and the STOP confirmation, each at most once per phone and
sender per day, sent through the outbound gateway (its single send and the rate limits every request to Mitto
takes: the shop's, or the `platform` tenant's for an answer on a shared sender) and kept as a MessageLog row.

Never inside the inbound webhook's transaction: the webhook only writes a `queued` row (it already counts as
the day's answer) and publishes the `campaigns.send_auto_reply` task once that transaction commits. The task
claims the row (`queued → sending`, conditional, under the answer's lock) before the request, so a task run
twice never sends twice. A full limiter makes it wait and run again, at most AUTO_REPLY_ATTEMPTS times and no
later than AUTO_REPLY_MAX_AGE after the reply; an answer that failed does not count, so the next one is sent.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Shop
from campaigns.services.publish import TASK_SEND_AUTO_REPLY, task_publish
from campaigns.services.sending.gateway import provider_request_take, provider_send_one, traffic_account_of
from messaging.client import OutboundMessage
from messaging.errors import MittoError
from messaging.models import MessageLog

logger = logging.getLogger(__name__)

HELP_KIND, STOP_CONFIRMATION_KIND = "help", "stop_confirm"
AUTO_REPLY_KINDS = (HELP_KIND, STOP_CONFIRMATION_KIND)
AUTO_REPLY_INTERVAL = timedelta(days=1)
DEFAULT_HELP_TEXT = "For help, contact us through our store."
HOW_TO_STOP = "Reply STOP to opt out."
HOW_TO_RESTART = "Reply START to resubscribe."
# A queued answer: how often it waits for the limiter, and how long after the reply it may still go out. A
# queued row older than that (its task lost with the broker) stops counting as the day's answer a little later.
AUTO_REPLY_ATTEMPTS = 100
AUTO_REPLY_MAX_AGE = timedelta(minutes=10)
_STALE_MARGIN = timedelta(minutes=1)
_NAMES_LENGTH = 60
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


@dataclass(frozen=True)
class AutoReplyDelivery:
    """What one run of the task did; `retry_in_s` set: run again after that long."""

    status: str
    retry_in_s: float | None = None


def _name(shop: Shop) -> str:
    return shop.name or shop.domain


def help_text_of(shop: Shop) -> str:
    """The answer: the shop's name, its help text (or a default), and how to stop when the text omits it."""
    text = f"{_name(shop)}: {shop.help_text.strip() or DEFAULT_HELP_TEXT}"
    return text if "STOP" in text.upper() else f"{text} {HOW_TO_STOP}"


def stop_confirmation_text_of(shops: list[Shop]) -> str:
    """The confirmation: one shop's own text (or a default naming it), with how to come back when it omits it;
    for a STOP on a shared sender one text naming every shop it reached."""
    if len(shops) == 1 and shops[0].stop_confirmation_text.strip():
        text = shops[0].stop_confirmation_text.strip()
    else:
        names = ", ".join(sorted(_name(shop) for shop in shops))
        names = names if len(names) <= _NAMES_LENGTH else names[:_NAMES_LENGTH - 1] + "…"
        who = f"{names}: y" if names else "Y"
        text = f"{who}ou are unsubscribed and will get no more messages from this number. {HOW_TO_RESTART}"
    return text if "START" in text.upper() else f"{text} {HOW_TO_RESTART}"


def _lock(*, kind: str, sender: str, phone: str) -> None:
    """Serialise answers of one kind to one phone from one sender until the transaction ends (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"auto:{kind}:{sender}:{phone}"])


def _answered_recently(*, kind: str, sender: str, phone: str, now: datetime) -> bool:
    """An answer sent, being sent or queued within the day (a queued one only while it can still go out)."""
    stale_queued = Q(status=QUEUED, created_at__lt=now - AUTO_REPLY_MAX_AGE - _STALE_MARGIN)
    return MessageLog.objects.filter(
        kind=kind, sender=sender[:20], phone=phone[:20], direction=MessageLog.Direction.OUTBOUND,
        created_at__gt=now - AUTO_REPLY_INTERVAL,
    ).exclude(status=FAILED).exclude(stale_queued).exists()


def _publish(*, log_id: int, delay_s: float = 0) -> None:
    task_publish(TASK_SEND_AUTO_REPLY, args=[log_id], countdown=delay_s, queue=settings.CELERY_QUEUE_SEND)


def auto_reply_queue(*, kind: str, shop_id: int | None, phone: str, sender: str, text: str, now: datetime) -> bool:
    """Queue one answer of `kind` to `phone` from `sender` (in the caller's transaction; `shop_id` None: a
    platform answer), unless one was sent, is being sent or waits within the day; its task is published once
    the transaction commits. True when queued."""
    _lock(kind=kind, sender=sender, phone=phone)
    if _answered_recently(kind=kind, sender=sender, phone=phone, now=now):
        return False
    row = MessageLog.objects.create(shop_id=shop_id, direction=MessageLog.Direction.OUTBOUND, kind=kind,
                                    phone=phone[:20], sender=sender[:20], text=text, status=QUEUED)
    transaction.on_commit(lambda: _publish(log_id=row.id))
    return True


def _send(row: MessageLog, shop: Shop | None) -> dict:
    """One request; the MessageLog fields of its outcome (any provider error is a failed answer)."""
    message = OutboundMessage(destination=row.phone, text=row.text, sender=row.sender, reference=f"a:{row.id}",
                              traffic_account_id=traffic_account_of(shop))
    try:
        outcome = provider_send_one(message)
    except MittoError as exc:
        logger.warning("automatic answer %s failed: %s", row.id, exc)
        return {"status": FAILED, "error": str(exc)[:255]}
    return {"status": SENT if outcome.accepted else FAILED, "mitto_message_id": outcome.message_id,
            "error": outcome.error or ""}


def _give_up(*, log_id: int, error: str) -> AutoReplyDelivery:
    MessageLog.objects.filter(id=log_id, status=QUEUED).update(status=FAILED, error=error[:255])
    logger.warning("automatic answer %s given up: %s", log_id, error)
    return AutoReplyDelivery(FAILED)


def _claim(*, row: MessageLog) -> bool:
    """`queued → sending`, under the answer's lock (so a reply being answered meanwhile sees it), while it may
    still go out; its time becomes the sending time, from which the day until the next answer counts."""
    now = timezone.now()
    with transaction.atomic():
        _lock(kind=row.kind, sender=row.sender, phone=row.phone)
        return bool(MessageLog.objects.filter(
            id=row.id, status=QUEUED, created_at__gte=now - AUTO_REPLY_MAX_AGE
        ).update(status=SENDING, created_at=now))


def auto_reply_deliver(*, log_id: int, attempt: int = 1) -> AutoReplyDelivery:
    """Send one queued answer if the rate limits have room: the row is claimed first, so at most one run ever
    sends it, and its outcome recorded. No room: run again after the limiter's wait, up to AUTO_REPLY_ATTEMPTS
    runs, then (or once older than AUTO_REPLY_MAX_AGE) it fails. A suspended shop's HELP is not answered (a
    STOP is confirmed all the same)."""
    row = MessageLog.objects.filter(id=log_id, kind__in=AUTO_REPLY_KINDS, status=QUEUED).first()
    if row is None:
        return AutoReplyDelivery("skipped")
    shop = Shop.objects.filter(id=row.shop_id).first() if row.shop_id else None
    if row.kind == HELP_KIND and shop is not None and not shop.is_active:
        return _give_up(log_id=log_id, error="the shop is suspended")
    if timezone.now() - row.created_at > AUTO_REPLY_MAX_AGE:
        return _give_up(log_id=log_id, error="expired waiting for the rate limiter")
    decision = provider_request_take(shop=shop)
    if not decision.allowed:
        if attempt >= AUTO_REPLY_ATTEMPTS:
            return _give_up(log_id=log_id, error=f"rate limited (after {attempt} attempts)")
        return AutoReplyDelivery("waiting", retry_in_s=decision.retry_after_s + random.uniform(0, 0.05))
    if not _claim(row=row):
        return AutoReplyDelivery("skipped")
    outcome = _send(row, shop)
    MessageLog.objects.filter(id=row.id, status=SENDING).update(**outcome)
    return AutoReplyDelivery(outcome["status"])
