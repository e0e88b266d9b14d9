"""Replies from customers: STOP-family words withdraw consent (and get one confirmation), START/UNSTOP give it
again (both through contacts/optout.py), HELP/INFO get one answer (auto_reply.py). Which shops a reply concerns
is decided by the sender registry alone (reply_routing.py). Every inbound message is logged as a MessageLog row.

Answers are only queued here, in the webhook's transaction; auto_reply.py sends them by a task after commit.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Shop
from campaigns.services.contacts.optout import contacts_opt_in, contacts_opt_out
from campaigns.services.contacts.shopify_writeback import shopify_consent_writeback_queue
from campaigns.services.reports.auto_reply import (
    HELP_KIND,
    STOP_CONFIRMATION_KIND,
    auto_reply_queue,
    help_text_of,
    stop_confirmation_text_of,
)
from campaigns.services.reports.reply_routing import ReplyRoute, reply_route
from messaging.inbound import InboundMessage, classify_keyword
from messaging.models import MessageLog

# An SMS reply is at most a few segments; anything longer is kept only this far in the log.
MAX_LOGGED_TEXT = 2000


@dataclass(frozen=True)
class InboundResult:
    keyword: str | None
    shops: int
    contacts: int


def _stop(message: InboundMessage, route: ReplyRoute, now: datetime) -> int:
    """Opt the phone out where the route says, then queue the one confirmation (from the sender it wrote to,
    naming the shop, or on a shared sender the shops it was a contact of)."""
    changed = contacts_opt_out(phone=message.sender, shop_ids=route.shop_ids, text=message.text, now=now,
                               sender=message.to or "")
    shopify_consent_writeback_queue(phone=message.sender, shop_ids=route.shop_ids, subscribed=False, at=now)
    if route.sender:
        shops = Shop.objects.filter(id__in=route.shop_ids).order_by("id")
        if route.shared:  # name only the shops the phone is a contact of
            shops = shops.filter(contacts__phone=message.sender).distinct()
        shops = list(shops)
        auto_reply_queue(kind=STOP_CONFIRMATION_KIND, shop_id=None if route.shared else route.shop_ids[0],
                         phone=message.sender, sender=route.sender, text=stop_confirmation_text_of(shops), now=now)
    return changed


def _start(message: InboundMessage, route: ReplyRoute, now: datetime) -> int:
    stopped_via = message.to if route.shared else None
    changed = contacts_opt_in(phone=message.sender, shop_ids=route.shop_ids, text=message.text, now=now,
                              stopped_via=stopped_via)
    shopify_consent_writeback_queue(phone=message.sender, shop_ids=route.shop_ids, subscribed=True, at=now)
    return changed


def _help(message: InboundMessage, route: ReplyRoute, now: datetime) -> int:
    """One answer: the shop's on its own sender (none while it is suspended), the platform's on a shared one."""
    if route.shared:
        return int(auto_reply_queue(kind=HELP_KIND, shop_id=None, phone=message.sender, sender=route.sender,
                                    text=settings.PLATFORM_HELP_TEXT, now=now))
    shop = Shop.objects.filter(id__in=route.shop_ids, is_active=True).first()
    if shop is None or not route.sender:
        return 0
    return int(auto_reply_queue(kind=HELP_KIND, shop_id=shop.id, phone=message.sender, sender=route.sender,
                                text=help_text_of(shop), now=now))


_HANDLERS = {"stop": _stop, "start": _start, "help": _help}


def inbound_message_handle(*, message: InboundMessage) -> InboundResult:
    """Act on one inbound SMS in one transaction: log it, and apply its keyword (if any) to the sender's
    contacts in the shops it concerns, with a ConsentEvent per contact; answers are sent after commit."""
    keyword = classify_keyword(message.text)
    now = timezone.now()
    with transaction.atomic():
        route = reply_route(to=message.to, phone=message.sender, keyword=keyword)
        handler = _HANDLERS.get(keyword)
        changed = handler(message, route, now) if handler else 0
        MessageLog.objects.create(
            shop_id=route.shop_ids[0] if len(route.shop_ids) == 1 else None,
            direction=MessageLog.Direction.INBOUND,
            kind=keyword or "reply",
            phone=message.sender[:20],
            sender=(message.to or "")[:20],
            text=message.text[:MAX_LOGGED_TEXT],
        )
    return InboundResult(keyword=keyword, shops=len(route.shop_ids), contacts=changed)
