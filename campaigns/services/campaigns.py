"""Campaigns before they are sent: create, change and delete, only while `draft` or `scheduled`."""

from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.fields import MAX_BODY_LENGTH, sender_clean
from campaigns.models import Campaign, Shop
from campaigns.services.audience.definition import audience_clean
from campaigns.services.compliance.message import campaign_size
from campaigns.services.errors import DomainError
from campaigns.services.senders import sender_owned_check


def campaign_create(*, shop: Shop, data: Mapping) -> Campaign:
    """Create a campaign from typed fields (`name`, `body`, optional `sender`, `audience`, `scheduled_at`).
    Its body compiles (else DomainError `invalid_body`); its sender, when given, is one of the shop's registered
    senders (else DomainError `invalid_sender`); it is `scheduled` when `scheduled_at` is given."""
    fields = _campaign_fields_clean(data, now=timezone.now(), shop=shop)
    return Campaign.objects.create(shop=shop, **fields)


def campaign_update(*, campaign: Campaign, data: Mapping) -> Campaign:
    """Change the given fields of a `draft` or `scheduled` campaign (else DomainError `invalid_status`).
    Setting `scheduled_at` makes it `scheduled`, clearing it makes it `draft`."""
    with transaction.atomic():
        campaign = _locked_editable(campaign)
        fields = _campaign_fields_clean(data, now=timezone.now(), shop=campaign.shop)
        for name, value in fields.items():
            setattr(campaign, name, value)
        campaign.save(update_fields=[*fields, "updated_at"])
    return campaign


def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a `draft` or `scheduled` campaign (else DomainError `invalid_status`)."""
    with transaction.atomic():
        _locked_editable(campaign).delete()


def _locked_editable(campaign: Campaign) -> Campaign:
    """The campaign's row, locked (so an enqueue cannot start meanwhile), if it may still be changed."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in Campaign.EDITABLE:
        raise DomainError(
            "invalid_status", f"The campaign is {campaign.status}; only draft or scheduled campaigns can be changed."
        )
    return campaign


def _campaign_fields_clean(data: Mapping, *, now: datetime, shop: Shop) -> dict:
    """Model field values for the given fields, with `encoding`/`segments` for a body (its `campaign_size` in
    `shop`, opt-out language included, as charged) and `status` for a schedule."""
    fields = {name: data[name] for name in ("name", "body") if name in data}
    if len(fields.get("body") or "") > MAX_BODY_LENGTH:
        raise ValidationError({"body": [f"At most {MAX_BODY_LENGTH} characters."]})
    if "body" in fields:
        size = campaign_size(campaign=Campaign(body=fields["body"]), shop=shop)
        fields.update(encoding=size.encoding, segments=size.segments)
    errors = {}
    for name, clean in (("sender", sender_clean), ("audience", audience_clean)):
        if name in data:
            try:
                fields[name] = clean(data[name])
            except ValueError as exc:
                errors[name] = [str(exc)]
    if "scheduled_at" in data:
        scheduled_at = data["scheduled_at"]
        if scheduled_at is not None and scheduled_at <= now:
            errors["scheduled_at"] = ["Must be in the future."]
        status = Campaign.Status.SCHEDULED if scheduled_at else Campaign.Status.DRAFT
        fields.update(scheduled_at=scheduled_at, status=status)
    if errors:
        raise ValidationError(errors)
    if fields.get("sender"):
        sender_owned_check(shop=shop, sender=fields["sender"])
    return fields
