"""The rules of customers.py for databases without its PostgreSQL statement (the demo's SQLite): the same
decisions per row in Python over one locked read of the rows' contacts, then one bulk upsert of the contacts
that change and one bulk insert of their consent events (chunks of 1000). The tests run both implementations
over the same cases (test_sync.py, test_webhook_topics.py), so they cannot drift apart unnoticed."""

from datetime import datetime

from campaigns.models import ConsentEvent, Contact, Shop
from campaigns.services.shopify_sync.rows import consent_detail, row_recency

CHUNK = 1000
_STATE_FIELDS = ("first_name", "last_name", "sms_consent", "consent_at", "consent_source", "opted_out_at",
                 "reply_opted_out_at", "reply_opted_out_sender", "shopify_customer_id", "shopify_updated_at",
                 "shopify_consent_state", "shopify_consent_at")


def customers_apply_portable(*, shop: Shop, rows: list[tuple], now: datetime, source: str) -> tuple[int, int, int]:
    """Apply `rows` (customers.py's row tuples); (created, updated, events)."""
    newest: dict[str, tuple] = {}
    for row in sorted(rows, key=row_recency):
        newest[row[1]] = row
    created = updated = events = 0
    phones = sorted(newest)
    for start in range(0, len(phones), CHUNK):
        chunk = phones[start:start + CHUNK]
        existing = {c.phone: c for c in Contact.objects.select_for_update().filter(shop=shop, phone__in=chunk)}
        writes, history = [], []
        for phone in chunk:
            before = existing.get(phone)
            after, action = _decide(newest[phone], before, now=now, source=source)
            if before is not None and all(getattr(before, f) == after[f] for f in _STATE_FIELDS):
                continue
            writes.append(Contact(shop=shop, phone=phone, tags=before.tags if before else [], timezone="",
                                  **after))
            created, updated = created + (before is None), updated + (before is not None)
            if action:
                history.append((phone, action, consent_detail(newest[phone])))
        Contact.objects.bulk_create(writes, update_conflicts=True, unique_fields=["shop", "phone"],
                                    update_fields=[*_STATE_FIELDS, "updated_at"])
        ids = dict(Contact.objects.filter(shop=shop, phone__in=[p for p, _, _ in history]).values_list("phone", "id"))
        ConsentEvent.objects.bulk_create(
            ConsentEvent(shop=shop, contact_id=ids[phone], phone=phone, action=action, source=source, detail=detail)
            for phone, action, detail in history)
        events += len(history)
    return created, updated, events


def _decide(row: tuple, before: Contact | None, *, now: datetime, source: str) -> tuple[dict, str | None]:
    customer_id, _, first, last, has_profile, updated_at, state, _, consent_at, _ = row
    c = before or Contact(sms_consent=False, consent_source="", reply_opted_out_sender="", shopify_consent_state="")
    profile_fresh = has_profile and (c.shopify_updated_at is None or (
        updated_at is not None and updated_at > c.shopify_updated_at))
    consent_fresh = state is not None and (c.shopify_consent_at is None or (
        consent_at is not None and consent_at > c.shopify_consent_at))
    stopped = c.reply_opted_out_at
    grants = consent_fresh and state == "subscribed" and (
        stopped is None or (consent_at is not None and consent_at > stopped))
    withdraws = consent_fresh and state in ("unsubscribed", "redacted")
    was_messageable = bool(c.sms_consent and c.opted_out_at is None)
    action = "granted" if grants and not was_messageable else "withdrawn" if withdraws and was_messageable else None
    after = {
        "first_name": (first or "") if profile_fresh else c.first_name,
        "last_name": (last or "") if profile_fresh else c.last_name,
        "sms_consent": True if grants else False if withdraws else c.sms_consent,
        "consent_at": now if grants and not was_messageable else c.consent_at,
        "consent_source": source if grants and not was_messageable else c.consent_source,
        "opted_out_at": None if grants else now if withdraws and was_messageable else c.opted_out_at,
        "reply_opted_out_at": None if grants else stopped,
        "reply_opted_out_sender": "" if grants else c.reply_opted_out_sender,
        "shopify_customer_id": customer_id if profile_fresh or c.shopify_customer_id is None
        else c.shopify_customer_id,
        "shopify_updated_at": updated_at if profile_fresh else c.shopify_updated_at,
        "shopify_consent_state": state if consent_fresh else c.shopify_consent_state,
        "shopify_consent_at": consent_at if consent_fresh else c.shopify_consent_at,
    }
    return after, action

