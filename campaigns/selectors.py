"""Reusable reads of the domain's tables."""

import json

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from campaigns.models import Contact, Shop


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
