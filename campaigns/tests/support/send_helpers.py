"""Helpers of the send-path tests: funded shops, contacts in bulk, the ledger check, Mitto answers."""

import json

import responses
from django.conf import settings
from django.db.models import Sum

from campaigns.models import Batch, Campaign, CampaignRecipient, Contact, CreditTransaction, Shop
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.factories import CampaignFactory, ShopFactory
from metrics.models import CampaignMetrics

BULK_URL = f"{settings.MITTO_API_BASE}/api/v1.1/Messages/sendmessagesbulk"
SEND_URL = f"{settings.MITTO_API_BASE}/api/v1.1/Messages/send"


def funded_shop(credits: int = 100_000, **fields) -> Shop:
    """A shop whose whole balance came through the ledger (a top-up), so ledger == balance holds."""
    return ShopFactory(credits=credits, **fields)


def add_contacts(shop: Shop, count: int, *, start: int = 0, **fields) -> list[Contact]:
    """`count` consenting contacts with valid Greek mobile numbers +30691xxxxxxx, in one INSERT."""
    fields = {"sms_consent": True, **fields}
    rows = [
        Contact(shop=shop, phone=f"+30691{start + n:07d}", first_name=f"F{start + n}", last_name=f"L{start + n}",
                **fields)
        for n in range(count)
    ]
    return Contact.objects.bulk_create(rows)


def sending_campaign(shop: Shop, **fields) -> Campaign:
    fields.setdefault("body", "Hi {{ first_name }}, 20% off today")
    return CampaignFactory(shop=shop, **fields)


def ledger_matches(shop: Shop) -> bool:
    """The shop's balances equal the sums of its ledger rows, and neither is negative."""
    shop.refresh_from_db()
    sums = CreditTransaction.objects.filter(shop=shop).aggregate(free=Sum("delta"), held=Sum("held_delta"))
    return (sums["free"] or 0, sums["held"] or 0) == (shop.credits, shop.credits_held) and min(
        shop.credits, shop.credits_held
    ) >= 0


def accept_all(request):
    """A Mitto bulk answer accepting every message, echoing references; ids are m-<reference>."""
    items = json.loads(request.body)["messages"]
    answer = [{"trafficAccountId": m["trafficAccountId"], "messageId": f"m-{m['reference']}",
               "reference": m["reference"]} for m in items]
    return 200, {}, json.dumps({"bulkId": "bulk-1", "messages": answer})


def mitto_accepts(rejected_prefix: str | None = None):
    """Register a bulk endpoint answering like Mitto; destinations starting with `rejected_prefix` rejected."""

    def answer(request):
        items = json.loads(request.body)["messages"]
        out = []
        for m in items:
            if rejected_prefix and m["destination"].startswith(rejected_prefix):
                out.append({"trafficAccountId": m["trafficAccountId"], "error": "Invalid destination",
                            "reference": m["reference"]})
            else:
                out.append({"trafficAccountId": m["trafficAccountId"], "messageId": f"m-{m['reference']}",
                            "reference": m["reference"]})
        return 200, {}, json.dumps({"bulkId": f"bulk-{len(responses.calls)}", "messages": out})

    responses.add_callback(responses.POST, BULK_URL, callback=answer, content_type="application/json")


def bulk_bodies() -> list[dict]:
    return [json.loads(call.request.body) for call in responses.calls if call.request.url == BULK_URL]


def api_for(shop: Shop):
    """An API client authenticated as `shop`."""
    from rest_framework.test import APIClient

    from campaigns.api.auth import api_key_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(shop=shop)}")
    return client


def add_contacts_sql(shop: Shop, count: int, *, start: int = 0) -> None:
    """`count` consenting contacts +30691xxxxxxx (PostgreSQL, one INSERT … SELECT), first name F<n>."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_contact (shop_id, phone, first_name, last_name, tags, sms_consent,
                                           consent_source, timezone, created_at, updated_at)
            SELECT %s, '+30691' || lpad(n::text, 7, '0'), 'F' || n, '', '[]', true, '', '', now(), now()
            FROM generate_series(%s, %s) AS n
            """,
            [shop.id, start, start + count - 1],
        )


def run_concurrently(*calls) -> list:
    """Run each call in its own thread (and so its own database connection), all started together; their
    results in order, a DomainError's reason in place of a result."""
    import threading

    from django.db import connection

    from campaigns.services.errors import DomainError

    barrier, outcomes = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except DomainError as exc:
            outcomes[index] = exc.reason
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def enqueued_campaign(shop: Shop, contacts: int, *, start: int = 0) -> Campaign:
    """A campaign of `shop` enqueued to `contacts` new consenting contacts (numbered from `start`)."""
    add_contacts(shop, contacts, start=start)
    campaign = sending_campaign(shop)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    return campaign


def enqueued_contacts(shop: Shop, count: int, body: str = "Hi {{ first_name }}, 20% off today"):
    """(the contacts, the campaign, its batch 0) of `shop`'s campaign enqueued to `count` new contacts."""
    contacts = add_contacts(shop, count)
    campaign = sending_campaign(shop, body=body)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    campaign.refresh_from_db()
    return contacts, campaign, Batch.objects.get(campaign=campaign, number=0)


def enqueued_batch(count=3, *, credits=1000, body="Hi {{ first_name }}, 20% off today", **shop_fields):
    """(shop, campaign, its batch 0) of a funded shop's campaign enqueued to `count` contacts."""
    shop = funded_shop(credits, **shop_fields)
    _, campaign, batch = enqueued_contacts(shop, count, body=body)
    return shop, campaign, batch


def batch_ids(campaign: Campaign) -> list[int]:
    return list(Batch.objects.filter(campaign=campaign).order_by("number").values_list("id", flat=True))


def recipient_statuses(campaign: Campaign) -> list[str]:
    return list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id").values_list("status", flat=True))


def send_counters(campaign: Campaign) -> dict:
    m = CampaignMetrics.objects.get(campaign=campaign)
    return {"total": m.total, "queued": m.queued, "sent": m.sent, "failed": m.failed, "processed": m.processed}
