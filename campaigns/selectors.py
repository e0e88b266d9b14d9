"""Reusable reads of the domain's tables."""

import json

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from campaigns.models import Campaign, Contact, Shop
from campaigns.services.errors import DomainError
from metrics.services import COUNTERS
from metrics.status import status_payload

NO_SUCH_CAMPAIGN = "No such campaign."


def contacts_tagged(queryset: QuerySet, tag: str) -> QuerySet:
    """The contacts of `queryset` carrying `tag`. PostgreSQL answers with jsonb containment; SQLite (the demo)
    cannot, so there the tag is matched as its quoted JSON text inside the stored list."""
    if connection.features.supports_json_field_contains:
        return queryset.filter(tags__contains=[tag])
    return queryset.annotate(tags_text=Cast("tags", TextField())).filter(tags_text__contains=json.dumps(tag))


def contact_list(*, shop: Shop, opted_out: bool | None = None, tag: str | None = None) -> QuerySet:
    """The shop's contacts in id order, optionally only those (not) opted out, or carrying a tag."""
    queryset = Contact.objects.filter(shop=shop).order_by("id")
    if opted_out is not None:
        queryset = queryset.filter(opted_out_at__isnull=not opted_out)
    if tag:
        queryset = contacts_tagged(queryset, tag)
    return queryset


def campaign_of_shop(*, shop_id: int, campaign_id: int, queryset: QuerySet | None = None) -> Campaign:
    """The shop's campaign `campaign_id` from `queryset` (default every campaign; pass a locking or
    select_related one), or DomainError `not_found`: another shop's campaign is exactly a missing one."""
    campaigns = Campaign.objects if queryset is None else queryset
    campaign = campaigns.filter(id=campaign_id, shop_id=shop_id).first()
    if campaign is None:
        raise DomainError("not_found", NO_SUCH_CAMPAIGN)
    return campaign


def campaign_status(*, shop_id: int, campaign_id: int) -> dict | None:
    """The status payload (API.md "status", metrics.status) of the shop's campaign from one primary-key query
    (the campaign joined to its counters row and its click counters, all zero before enqueue), `clicks` added;
    None when the shop has no such campaign. The API's status endpoint and the admin's fresh counters both
    answer with it."""
    row = (
        Campaign.objects.filter(id=campaign_id, shop_id=shop_id)
        .values(
            "id", "name", "status", "paused_reason", "link_stats__clicks", *(f"metrics__{name}" for name in COUNTERS)
        )
        .first()
    )
    if row is None:
        return None
    payload = status_payload(campaign=row, counters={name: row[f"metrics__{name}"] for name in COUNTERS})
    payload["campaign"]["clicks"] = row["link_stats__clicks"] or 0
    return payload


def campaign_status_loaded(campaign: Campaign) -> dict:
    """`campaign_status` of a campaign whose counters row is already joined to it (a list page's
    select_related), so no query is made per row."""
    metrics = getattr(campaign, "metrics", None)
    counters = {name: getattr(metrics, name) for name in COUNTERS} if metrics else None
    fields = {"id": campaign.id, "name": campaign.name, "status": campaign.status,
              "paused_reason": campaign.paused_reason}
    payload = status_payload(campaign=fields, counters=counters)
    stats = getattr(campaign, "link_stats", None)
    payload["campaign"]["clicks"] = stats.clicks if stats else 0
    return payload
