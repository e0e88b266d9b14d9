"""Which shops a reply concerns, decided by the sender registry (ShopSender) alone: a campaign's `sender` field
never routes a reply, so no shop can name another's sender and receive its replies.

- `to` is a sender one shop registered: that shop.
- `to` is the shared fallback sender (MITTO_SENDER), or a sender ops registered to several shops (`--shared`):
  a shared sender. A STOP reaches every shop that messaged the phone from it (for the fallback: a campaign
  message of a shop sending without a sender of its own, or a test send or answer from it; for a registered
  shared sender: its owners); a START only the shops where a reply to that sender opted the phone out
  (contacts/optout.py `stopped_via`); a HELP gets one platform answer (PLATFORM_HELP_TEXT), not one per shop.
- `to` missing or nobody's: a STOP opts the phone out in every shop that has it (compliance first: a STOP is
  never dropped) and is not confirmed (no sender of ours to answer from); a START or HELP changes nothing.

Which campaigns messaged a phone from the fallback is read from the sender each campaign was sent from, fixed at
enqueue (`Campaign.sent_from`), so a shop that registers a sender of its own later is still reached for what it
sent from the fallback before.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef

from campaigns.models import Campaign, CampaignRecipient, Contact, ShopSender
from campaigns.services.senders import is_fallback_sender, number_variants
from messaging.models import MessageLog

_MESSAGED = (CampaignRecipient.Status.SENT, CampaignRecipient.Status.DELIVERED, CampaignRecipient.Status.FAILED)


@dataclass(frozen=True)
class ReplyRoute:
    """`shop_ids`: the shops the reply's keyword acts on; `sender`: our spelling of the sender it was sent to
    (answers go out from it), "" when it is nobody's; `shared`: the shared-sender rules apply."""

    shop_ids: list[int]
    sender: str
    shared: bool


def reply_route(*, to: str | None, phone: str, keyword: str | None) -> ReplyRoute:
    """The route of a reply from `phone` to `to` carrying `keyword` (see the module docstring)."""
    variants = number_variants(to) if to else set()
    owners = sorted(ShopSender.objects.filter(sender__in=variants).values_list("shop_id", "sender"))
    if to and is_fallback_sender(to):
        shop_ids = _fallback_messaged(phone=phone, variants=variants) if keyword == "stop" else []
        return ReplyRoute(_with_contact(shop_ids, phone, keyword), settings.MITTO_SENDER, True)
    if len(owners) == 1:
        return ReplyRoute([owners[0][0]], owners[0][1], False)
    if owners:
        return ReplyRoute(_with_contact([shop_id for shop_id, _ in owners], phone, keyword), owners[0][1], True)
    if keyword == "stop":
        return ReplyRoute(sorted(set(Contact.objects.filter(phone=phone).values_list("shop_id", flat=True))), "",
                          False)
    return ReplyRoute([], "", False)


def _with_contact(shop_ids: list[int], phone: str, keyword: str | None) -> list[int]:
    """For a START on a shared sender every shop with the phone is a candidate (contacts_opt_in keeps only those
    a reply to this sender opted out); otherwise the shops given."""
    if keyword == "start":
        return sorted(set(Contact.objects.filter(phone=phone).values_list("shop_id", flat=True)))
    return shop_ids


def _fallback_messaged(*, phone: str, variants: set[str]) -> list[int]:
    """Shops that messaged `phone` from the fallback sender: a campaign message sent from it (its sender fixed at
    enqueue, `Campaign.sent_from`), or a test send or automatic answer logged from it."""
    recipients = CampaignRecipient.objects.filter(campaign=OuterRef("pk"), phone=phone, status__in=_MESSAGED)
    campaigns = Campaign.objects.filter(sent_from__in=variants).filter(Exists(recipients)).values_list(
        "shop_id", flat=True)
    logged = MessageLog.objects.filter(direction=MessageLog.Direction.OUTBOUND, phone=phone, sender__in=variants,
                                       shop_id__isnull=False).values_list("shop_id", flat=True)
    return sorted(set(campaigns) | set(logged))
