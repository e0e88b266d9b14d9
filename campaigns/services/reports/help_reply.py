"""The automatic answer to a HELP/INFO reply: the shop's name and how to stop, at most once per contact
(phone) and shop per day, sent through Mitto's single-send endpoint and logged as a MessageLog `help` row.

Every answer goes through the outbound gateway (sending/gateway.py) and takes a token from the shop's rate
limits like any request to Mitto.
When they are full the answer is not dropped and the inbound webhook does not wait: a `queued` row is
written (it already counts as the day's answer) and the `campaigns.send_help_answer` task sends it once the
limiter has room, retried after the limiter's wait for at most HELP_ANSWER_ATTEMPTS tries. The row is
claimed (`queued → sending`, conditional) before the request, so a redelivered task never sends twice.
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
from campaigns.services.publish import TASK_SEND_HELP_ANSWER, task_publish
from campaigns.services.sending.gateway import provider_request_take, provider_send_one, traffic_account_of
from messaging.client import OutboundMessage
from messaging.errors import MittoError
from messaging.models import MessageLog

logger = logging.getLogger(__name__)

HELP_KIND = "help"
HELP_INTERVAL = timedelta(days=1)
DEFAULT_HELP_TEXT = "For help, contact us through our store."
HOW_TO_STOP = "Reply STOP to opt out."
# A deferred answer: how often it waits for the limiter, and how long after the HELP it may still go out. A
# queued row older than that (its task lost with the broker) stops counting as the day's answer a little later.
HELP_ANSWER_ATTEMPTS = 100
HELP_ANSWER_MAX_AGE = timedelta(minutes=10)
_STALE_MARGIN = timedelta(minutes=1)
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


@dataclass(frozen=True)
class HelpDelivery:
    """What one run of a deferred answer did; `retry_in_s` set: run again after that long."""

    status: str
    retry_in_s: float | None = None


def help_text_of(shop: Shop) -> str:
    """The answer: the shop's name, its help text (or a default), and how to stop when the text omits it."""
    text = f"{shop.name or shop.domain}: {shop.help_text.strip() or DEFAULT_HELP_TEXT}"
    return text if "STOP" in text.upper() else f"{text} {HOW_TO_STOP}"


def _lock(*, shop_id: int, phone: str) -> None:
    """Serialise HELP answers to one phone of one shop until the transaction ends (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"help:{shop_id}:{phone}"])


def _answered_recently(*, shop_id: int, phone: str, now: datetime) -> bool:
    """An answer sent, being sent or waiting for the limiter within the day (a queued one only while it can
    still go out: see HELP_ANSWER_MAX_AGE)."""
    stale_queued = Q(status=QUEUED, created_at__lt=now - HELP_ANSWER_MAX_AGE - _STALE_MARGIN)
    return MessageLog.objects.filter(
        shop_id=shop_id, phone=phone, kind=HELP_KIND, direction=MessageLog.Direction.OUTBOUND,
        created_at__gt=now - HELP_INTERVAL,
    ).exclude(status=FAILED).exclude(stale_queued).exists()


def _message(*, shop: Shop, phone: str, text: str, sender: str) -> OutboundMessage:
    return OutboundMessage(destination=phone, text=text, sender=sender, reference=f"h:{shop.id}",
                           traffic_account_id=traffic_account_of(shop))


def _send(message: OutboundMessage) -> dict:
    """One request; the MessageLog fields of its outcome (any provider error is a failed answer)."""
    try:
        outcome = provider_send_one(message)
    except MittoError as exc:
        logger.warning("HELP answer to %s failed: %s", message.destination, exc)
        return {"status": FAILED, "error": str(exc)[:255]}
    return {"status": SENT if outcome.accepted else FAILED, "mitto_message_id": outcome.message_id,
            "error": outcome.error or ""}


def _defer(*, log_id: int, delay_s: float) -> None:
    transaction.on_commit(lambda: task_publish(
        TASK_SEND_HELP_ANSWER, args=[log_id], countdown=delay_s, queue=settings.CELERY_QUEUE_SEND
    ))


def _answer(*, shop: Shop, phone: str) -> bool:
    """Send the answer now when the limiter has room, else queue it for the task; True either way."""
    text, sender = help_text_of(shop), shop.sender or settings.MITTO_SENDER
    log = {"shop_id": shop.id, "direction": MessageLog.Direction.OUTBOUND, "kind": HELP_KIND,
           "phone": phone[:20], "sender": sender[:20], "text": text}
    decision = provider_request_take(shop=shop)
    if not decision.allowed:
        row = MessageLog.objects.create(**log, status=QUEUED)
        _defer(log_id=row.id, delay_s=decision.retry_after_s)
        logger.info("HELP answer to %s for shop %s deferred %.2f s by the rate limiter", phone, shop.id,
                    decision.retry_after_s)
        return True
    outcome = _send(_message(shop=shop, phone=phone, text=text, sender=sender))
    MessageLog.objects.create(**log, **outcome)
    return outcome["status"] == SENT


def help_answer(*, phone: str, shop_ids: list[int], text: str, now: datetime) -> int:
    """Answer a HELP reply from `phone` once per shop per day (in the caller's transaction); returns how
    many answers were sent or queued for the rate limiter. An answer that failed does not count, so the
    next HELP is answered."""
    answered = 0
    for shop in Shop.objects.filter(id__in=shop_ids, is_active=True).order_by("id"):
        _lock(shop_id=shop.id, phone=phone)
        if not _answered_recently(shop_id=shop.id, phone=phone, now=now):
            answered += _answer(shop=shop, phone=phone)
    return answered


def _give_up(*, log_id: int, error: str) -> HelpDelivery:
    MessageLog.objects.filter(id=log_id, status=QUEUED).update(status=FAILED, error=error[:255])
    logger.warning("HELP answer %s given up: %s", log_id, error)
    return HelpDelivery(FAILED)


def _claim(*, row: MessageLog) -> bool:
    """`queued → sending`, under the answer's lock (so a HELP being answered meanwhile sees it), while it may
    still go out; its time becomes the sending time, from which the day until the next answer counts."""
    now = timezone.now()
    with transaction.atomic():
        _lock(shop_id=row.shop_id, phone=row.phone)
        return bool(MessageLog.objects.filter(
            id=row.id, status=QUEUED, created_at__gte=now - HELP_ANSWER_MAX_AGE
        ).update(status=SENDING, created_at=now))


def help_answer_deliver(*, log_id: int, attempt: int = 1) -> HelpDelivery:
    """Send one queued HELP answer if the shop's rate limits have room: the row is claimed first, so at most
    one run ever sends it, and its outcome recorded. No room: run again after the limiter's wait, up to
    HELP_ANSWER_ATTEMPTS runs, then (or once older than HELP_ANSWER_MAX_AGE) it fails and the next HELP is
    answered."""
    row = MessageLog.objects.filter(id=log_id, kind=HELP_KIND, status=QUEUED).first()
    if row is None:
        return HelpDelivery("skipped")
    shop = Shop.objects.filter(id=row.shop_id, is_active=True).first()
    if shop is None:
        return _give_up(log_id=log_id, error="the shop is suspended")
    if timezone.now() - row.created_at > HELP_ANSWER_MAX_AGE:
        return _give_up(log_id=log_id, error="expired waiting for the rate limiter")
    decision = provider_request_take(shop=shop)
    if not decision.allowed:
        if attempt >= HELP_ANSWER_ATTEMPTS:
            return _give_up(log_id=log_id, error=f"rate limited (after {attempt} attempts)")
        return HelpDelivery("waiting", retry_in_s=decision.retry_after_s + random.uniform(0, 0.05))
    if not _claim(row=row):
        return HelpDelivery("skipped")
    outcome = _send(_message(shop=shop, phone=row.phone, text=row.text, sender=row.sender))
    MessageLog.objects.filter(id=row.id, status=SENDING).update(**outcome)
    return HelpDelivery(outcome["status"])
