"""The short link's answer: which URL a code redirects to, with our UTM parameters added (API.md "Links").

A recipient's code is answered from the per-process cache of `targets` (no query once its campaign is known); a
test send's code, whose campaign may still be edited, from the database each time."""

from dataclasses import dataclass

from campaigns.models import CampaignLink
from campaigns.services.links.codes import RECIPIENT, code_read
from campaigns.services.links.targets import recipient_targets
from campaigns.services.links.utm import utm_added

__all__ = ["Target", "link_target", "utm_added"]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a valid code leads: `url` (UTM added) of `campaign_id`; `recipient_id` None for a test send."""

    url: str
    campaign_id: int
    recipient_id: int | None
    position: int


def link_target(code: str) -> Target | None:
    """The target of `code`, or None when the code is not ours (forged, altered) or names no stored link; for
    campaigns of any status, finished long ago included."""
    ref = code_read(code)
    if ref is None:
        return None
    if ref.kind == RECIPIENT:
        targets = recipient_targets(ref.ident)
        if targets is None or ref.position >= len(targets.urls):
            return None
        return Target(targets.urls[ref.position], targets.campaign_id, ref.ident, ref.position)
    url = CampaignLink.objects.filter(campaign_id=ref.ident, position=ref.position).values_list("url", flat=True)
    url = url.first()
    if url is None:
        return None
    return Target(utm_added(url, campaign_id=ref.ident), ref.ident, None, ref.position)
