"""The automatic answer to a HELP/INFO reply: the shop's name and how to stop, at most once per contact
(phone) and shop per day, sent through Mitto's single-send endpoint and logged as a MessageLog `help` row."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from campaigns.models import Shop
from campaigns.services.sending import traffic_account_of
from messaging.client import OutboundMessage, get_client
from messaging.errors import MittoError
from messaging.models import MessageLog

logger = logging.getLogger(__name__)

HELP_KIND = "help"
HELP_INTERVAL = timedelta(days=1)
DEFAULT_HELP_TEXT = "For help, contact us through our store."
HOW_TO_STOP = "Reply STOP to opt out."


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
    return MessageLog.objects.filter(
        shop_id=shop_id, phone=phone, kind=HELP_KIND, direction=MessageLog.Direction.OUTBOUND,
        created_at__gt=now - HELP_INTERVAL,
    ).exclude(status="failed").exists()


def _answer(*, shop: Shop, phone: str) -> bool:
    message = OutboundMessage(
        destination=phone, text=help_text_of(shop), sender=shop.sender or settings.MITTO_SENDER,
        reference=f"h:{shop.id}", traffic_account_id=traffic_account_of(shop),
    )
    log = {"shop_id": shop.id, "direction": MessageLog.Direction.OUTBOUND, "kind": HELP_KIND,
           "phone": phone[:20], "sender": message.sender[:20], "text": message.text}
    try:
        outcome = get_client().send_one(message)
    except MittoError as exc:
        logger.warning("HELP answer to %s for shop %s failed: %s", phone, shop.id, exc)
        MessageLog.objects.create(**log, status="failed", error=str(exc)[:255])
        return False
    status = "sent" if outcome.accepted else "failed"
    MessageLog.objects.create(**log, status=status, mitto_message_id=outcome.message_id, error=outcome.error or "")
    return outcome.accepted


def help_answer(*, phone: str, shop_ids: list[int], text: str, now: datetime) -> int:
    """Answer a HELP reply from `phone` once per shop per day (in the caller's transaction); returns how
    many answers were sent. An answer that failed does not count, so the next HELP is answered."""
    answered = 0
    for shop in Shop.objects.filter(id__in=shop_ids, is_active=True).order_by("id"):
        _lock(shop_id=shop.id, phone=phone)
        if not _answered_recently(shop_id=shop.id, phone=phone, now=now):
            answered += _answer(shop=shop, phone=phone)
    return answered
