"""Bench data, made set-based: shops with API keys, N consenting contacts in one INSERT … SELECT generate_series,
and campaigns whose recipients are already `sent` (for the delivery-report benches)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from django.db import connection, transaction

BODY = "Hi {{ first_name }}, 20% off everything today at Bench Shop. Show this SMS in store."
# The same offer with a link (`--links`): each message carries its recipient's short link, one segment still.
BODY_WITH_LINK = "Hi {{ first_name }}, 20% off everything today at Bench Shop: https://bench.example/sale?src=sms"
FIRST_PHONE = 12012000000  # +1 201 200-0000: valid US numbers for 6,000,000 contacts from here
MAX_CONTACTS = 6_000_000


@dataclass
class ShopHandle:
    id: int
    domain: str
    key: str


def shop_create(*, domain: str, credits: int) -> ShopHandle:
    """A shop whose sending window never closes (start = end): the benches measure throughput at any hour,
    not quiet hours, which would hold every recipient at night in their zone."""
    from campaigns.api.auth import api_key_create
    from campaigns.models import Shop
    from campaigns.services.billing.ledger import credits_topup

    shop = Shop.objects.create(domain=domain, name=domain, sender="BenchShop",
                               quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))
    credits_topup(shop_id=shop.id, amount=credits, note="bench")
    return ShopHandle(id=shop.id, domain=domain, key=api_key_create(shop=shop, name="bench"))


_CONTACTS_SQL = """
INSERT INTO campaigns_contact
    (shop_id, phone, first_name, last_name, tags, sms_consent, consent_at, consent_source, opted_out_at,
     timezone, created_at, updated_at)
SELECT %(shop)s, {phone}, 'Ann' || (i %% 1000)::text, 'Lee', '[]'::jsonb,
       i < %(consenting)s, now(), 'bench', CASE WHEN i >= %(consenting)s THEN now() END, '', now(), now()
FROM generate_series(0, %(count)s - 1) AS i
"""
SEQUENTIAL_PHONE = "'+' || (%(first)s + i)::text"
# Round-robin over the area codes, subscriber numbers from 200-0000 up (a valid exchange in every one).
SPREAD_PHONE = ("'+1' || (%(codes)s::text[])[1 + i %% cardinality(%(codes)s::text[])]"
                " || (2000000 + i / cardinality(%(codes)s::text[]))::text")


def contacts_create(*, shop_id: int, consenting: int, opted_out: int = 0, first: int = FIRST_PHONE,
                    area_codes: Sequence[str] = ()) -> None:
    """`consenting` contacts who may be messaged, then `opted_out` who may not (the audience filter's work);
    phones from +`first` on, or, given US `area_codes`, spread evenly over them."""
    if consenting + opted_out > MAX_CONTACTS:
        raise ValueError(f"at most {MAX_CONTACTS} contacts per shop")
    query = _CONTACTS_SQL.format(phone=SPREAD_PHONE if area_codes else SEQUENTIAL_PHONE)
    with connection.cursor() as cursor:
        cursor.execute(query, {"shop": shop_id, "first": first, "codes": list(area_codes),
                               "consenting": consenting, "count": consenting + opted_out})
        cursor.execute("ANALYZE campaigns_contact")


def message_id(campaign_id: int, index: int) -> str:
    """The provider message id the fixture gives recipient `index` of a `sent` campaign."""
    return f"bm{campaign_id}-{index}"


_SENT_RECIPIENTS_SQL = """
INSERT INTO campaigns_campaignrecipient
    (campaign_id, contact_id, phone, batch_no, status, mitto_message_id, retry_count, error, sent_at)
SELECT %(campaign)s, NULL, '+' || (%(first)s + i)::text, i / 5000, 'sent',
       'bm' || %(campaign)s::text || '-' || i::text, 0, '', now()
FROM generate_series(0, %(count)s - 1) AS i
"""


def sent_campaign_create(*, shop_id: int, recipients: int) -> int:
    """A campaign whose `recipients` were all accepted by the provider (message ids from `message_id`), its
    counters saying so: what delivery reports are applied to."""
    from campaigns.models import Campaign
    from metrics.models import CampaignMetrics

    with transaction.atomic():
        campaign = Campaign.objects.create(shop_id=shop_id, name=f"sent x{recipients}", body=BODY,
                                           status=Campaign.Status.SENDING)
        with connection.cursor() as cursor:
            cursor.execute(_SENT_RECIPIENTS_SQL, {"campaign": campaign.id, "first": FIRST_PHONE,
                                                  "count": recipients})
        CampaignMetrics.objects.create(campaign_id=campaign.id, total=recipients, queued=0, sent=recipients)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaigns_campaignrecipient")
    return campaign.id
