"""Replies from customers: STOP-family keywords withdraw consent, START/UNSTOP give it again.

Which shops a reply concerns: every shop that sends from the number it was sent to (`to`): the shop's
sender, a campaign's own sender, or the deployment's MITTO_SENDER for shops without one. When `to` is
missing or names no shop, a STOP opts the number out in every shop that has it as a contact
(compliance first: a STOP is never dropped), while a START changes nothing (consent is never granted to a
shop the customer did not answer). Every inbound message is logged as a MessageLog row.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Campaign, ConsentEvent, Contact, Shop
from messaging.inbound import InboundMessage, classify_keyword
from messaging.models import MessageLog

REPLY_SOURCE = "sms_reply"
# An SMS reply is at most a few segments; anything longer is kept only this far in the log.
MAX_LOGGED_TEXT = 2000


@dataclass(frozen=True)
class InboundResult:
    keyword: str | None
    shops: int
    contacts: int


def _variants(number: str) -> set[str]:
    """The spellings a sender may be stored in: with or without the leading '+'."""
    bare = number.strip().lstrip("+")
    return {bare, "+" + bare}


def shops_sending_from(to: str | None) -> list[int]:
    """Ids of the shops that send from `to`."""
    if not to:
        return []
    numbers = _variants(to)
    shop_ids = set(Shop.objects.filter(sender__in=numbers).values_list("id", flat=True))
    shop_ids.update(Campaign.objects.filter(sender__in=numbers).values_list("shop_id", flat=True))
    if settings.MITTO_SENDER and numbers & _variants(settings.MITTO_SENDER):
        shop_ids.update(Shop.objects.filter(sender="").values_list("id", flat=True))
    return sorted(shop_ids)


def _consent_events(*, contacts: list[tuple[int, int]], phone: str, action: str, text: str) -> None:
    ConsentEvent.objects.bulk_create(
        ConsentEvent(shop_id=shop_id, contact_id=contact_id, phone=phone, action=action, source=REPLY_SOURCE,
                     detail=text[:500])
        for contact_id, shop_id in contacts
    )


def contacts_opt_out(*, phone: str, shop_ids: list[int], text: str, now: datetime) -> int:
    """Withdraw consent of `phone` in these shops (the first opt-out time is kept); returns contacts."""
    contacts = Contact.objects.filter(shop_id__in=shop_ids, phone=phone)
    rows = list(contacts.values_list("id", "shop_id"))
    contacts.update(
        sms_consent=False, opted_out_at=Coalesce(F("opted_out_at"), now), consent_source=REPLY_SOURCE, updated_at=now
    )
    _consent_events(contacts=rows, phone=phone, action=ConsentEvent.Action.WITHDRAWN, text=text)
    return len(rows)


def contacts_opt_in(*, phone: str, shop_ids: list[int], text: str, now: datetime) -> int:
    """Give consent of `phone` again in these shops; returns the contacts changed."""
    contacts = Contact.objects.filter(shop_id__in=shop_ids, phone=phone)
    rows = list(contacts.values_list("id", "shop_id"))
    contacts.update(sms_consent=True, opted_out_at=None, consent_at=now, consent_source=REPLY_SOURCE, updated_at=now)
    _consent_events(contacts=rows, phone=phone, action=ConsentEvent.Action.GRANTED, text=text)
    return len(rows)


# What each keyword does. HELP is only logged for now: its automatic reply (the shop's help_text) is a
# later compliance feature and plugs in here.
_HANDLERS: dict[str, Callable[..., int]] = {"stop": contacts_opt_out, "start": contacts_opt_in}


def _shops_for(keyword: str | None, message: InboundMessage) -> list[int]:
    shop_ids = shops_sending_from(message.to)
    if not shop_ids and keyword == "stop":
        shop_ids = sorted(set(Contact.objects.filter(phone=message.sender).values_list("shop_id", flat=True)))
    return shop_ids


def inbound_message_handle(*, message: InboundMessage) -> InboundResult:
    """Act on one inbound SMS in one transaction: log it, and apply its keyword (if any) to the sender's
    contacts in the shops it concerns, with a ConsentEvent per contact."""
    keyword = classify_keyword(message.text)
    now = timezone.now()
    with transaction.atomic():
        shop_ids = _shops_for(keyword, message)
        handler = _HANDLERS.get(keyword)
        changed = handler(phone=message.sender, shop_ids=shop_ids, text=message.text, now=now) if handler else 0
        MessageLog.objects.create(
            shop_id=shop_ids[0] if len(shop_ids) == 1 else None,
            direction=MessageLog.Direction.INBOUND,
            kind=keyword or "reply",
            phone=message.sender[:20],
            sender=(message.to or "")[:20],
            text=message.text[:MAX_LOGGED_TEXT],
        )
    return InboundResult(keyword=keyword, shops=len(shop_ids), contacts=changed)
