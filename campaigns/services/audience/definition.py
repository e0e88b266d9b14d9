"""A campaign's audience as stored on it: `{"tags": [...]}` (contacts with any of the tags), or `{}` for every
consenting contact of the shop."""

from collections.abc import Mapping

from campaigns.fields import tags_clean
from campaigns.models import Campaign


def audience_clean(value: object) -> dict:
    """`{"tags": [...]}` (contacts with any of the tags), or `{}` for every consenting contact of the shop."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or set(value) - {"tags"}:
        raise ValueError('Must be {"tags": ["..."]}, or omitted for every consenting contact.')
    tags = tags_clean(value.get("tags"))
    return {"tags": tags} if tags else {}


def audience_tags(campaign: Campaign) -> list[str]:
    """The audience's tags; none (or no audience) means every consenting contact of the shop."""
    audience = campaign.audience if isinstance(campaign.audience, dict) else {}
    tags = audience.get("tags") or []
    return [tags] if isinstance(tags, str) else [str(tag) for tag in tags]
