"""Replies from customers: STOP-family keywords withdraw consent, START/UNSTOP give it again (both through
contacts/optout.py), HELP gets the shop's automatic answer (reports/help_reply.py).

Which shops a reply concerns: every shop that sends from the number it was sent to (`to`): the shop's
sender, a campaign's own sender, or the deployment's MITTO_SENDER for shops without one. When `to` is
missing or names no shop, a STOP opts the number out in every shop that has it as a contact
(compliance first: a STOP is never dropped), while a START changes nothing (consent is never granted to a
shop the customer did not answer). Every inbound message is logged as a MessageLog row.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Contact, Shop
from campaigns.services.contacts.optout import contacts_opt_in, contacts_opt_out
from campaigns.services.reports.help_reply import help_answer
from messaging.inbound import InboundMessage, classify_keyword
from messaging.models import MessageLog

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



# What each keyword does: STOP withdraws consent, START gives it again, HELP gets the shop's automatic answer.
_HANDLERS: dict[str, Callable[..., int]] = {"stop": contacts_opt_out, "start": contacts_opt_in, "help": help_answer}


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
