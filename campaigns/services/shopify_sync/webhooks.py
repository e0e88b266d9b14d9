"""Shopify webhooks (API.md "Shopify"): every verified delivery stored first, once per `X-Shopify-Webhook-Id`,
then processed by a task, which claims the row so a repeated task changes nothing.

Customer, consent and privacy topics are applied (customers.py, privacy.py: an older state never overwrites a
newer one); a delivery for a shop we do not know is marked processed. Orders go to links/attribution. A purchase
update sends the credit purchase check (services/purchases/settle) by name. Unknown topics are logged and marked
processed; a malformed body is recorded as the row's error and left for replay.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Contact, Shop, ShopifyWebhook
from campaigns.services.links.attribution import OrderFacts, order_attribute
from campaigns.services.publish import TASK_CREDIT_PURCHASE_CHECK, TASK_SHOPIFY_PROCESS_WEBHOOK, task_publish
from campaigns.services.shopify_sync.customers import customer_deleted, customers_apply
from campaigns.services.shopify_sync.install import shopify_uninstalled
from campaigns.services.shopify_sync.privacy import customer_data_export, customer_redact, shop_redact
from shopify.errors import UnknownTopic, WebhookParseError
from shopify.records import (
    AppUninstalled,
    ConsentUpdate,
    Customer,
    CustomerDeleted,
    CustomerRedact,
    DataRequest,
    Order,
    Purchase,
    ShopRedact,
)
from shopify.webhooks import Delivery, parse_webhook

logger = logging.getLogger(__name__)

NOT_YET = "stored for replay: this topic is not handled yet"


def shopify_webhook_store(*, delivery: Delivery, body: bytes) -> int | None:
    """Store one verified delivery (one INSERT; a repeated webhook id inserts nothing) and, after commit, send it
    to the processing task. The new row's id, or None for a repeat."""
    text = body.decode("utf-8", "replace")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ShopifyWebhook._meta.db_table} (webhook_id, topic, shop_domain, api_version, event_id,"
            " triggered_at, body, received_at, attempts, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, '')"
            " ON CONFLICT (webhook_id) DO NOTHING RETURNING id",
            [delivery.webhook_id[:100], delivery.topic[:100], delivery.shop_domain[:255], delivery.api_version[:20],
             delivery.event_id[:100], delivery.triggered_at[:40], text, timezone.now()],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    webhook_pk = row[0]
    transaction.on_commit(lambda: task_publish(TASK_SHOPIFY_PROCESS_WEBHOOK, args=[webhook_pk],
                                               queue=settings.CELERY_QUEUE_SHOPIFY))
    return webhook_pk


def shopify_webhooks_replay(*, topics: list[str] | None = None, limit: int = 10_000) -> int:
    """Send unprocessed stored deliveries (of `topics`, oldest first, at most `limit`) to the processing task again;
    how many. Harmless to repeat: processing claims each row, and a processed one is skipped."""
    pending = ShopifyWebhook.objects.filter(processed_at__isnull=True)
    if topics:
        pending = pending.filter(topic__in=[topic.strip().lower() for topic in topics])
    ids = list(pending.order_by("received_at", "id").values_list("id", flat=True)[:limit])
    for webhook_pk in ids:
        task_publish(TASK_SHOPIFY_PROCESS_WEBHOOK, args=[webhook_pk], queue=settings.CELERY_QUEUE_SHOPIFY)
    return len(ids)


def shopify_webhook_process(*, webhook_pk: int) -> str:
    """Apply one stored delivery, at most once: the row is claimed and its effects and `processed_at` are written
    in one transaction. Returns what became of it: processed, unknown_topic, malformed, deferred or done_already."""
    with transaction.atomic():
        webhook = ShopifyWebhook.objects.select_for_update().filter(pk=webhook_pk, processed_at__isnull=True).first()
        if webhook is None:
            return "done_already"
        webhook.attempts += 1
        outcome, error = _apply(webhook)
        webhook.error = error[:500]
        if outcome in ("processed", "unknown_topic"):
            webhook.processed_at = timezone.now()
        webhook.save(update_fields=["attempts", "error", "processed_at"])
    return outcome


def _apply(webhook: ShopifyWebhook) -> tuple[str, str]:
    try:
        record = parse_webhook(webhook.topic, webhook.body)
    except UnknownTopic:
        logger.info("Shopify webhook %s of unknown topic %r from %s: ignored", webhook.webhook_id,
                    webhook.topic[:100], webhook.shop_domain)
        return "unknown_topic", ""
    except WebhookParseError as exc:
        logger.warning("Shopify webhook %s (%s) is malformed: %s", webhook.webhook_id, webhook.topic, exc)
        return "malformed", str(exc)
    handler = _HANDLERS.get(type(record))
    if handler is None:
        return "deferred", NOT_YET
    handler(record, webhook)
    return "processed", ""


def _uninstalled(record: AppUninstalled, webhook: ShopifyWebhook) -> None:
    shopify_uninstalled(domain=webhook.shop_domain)


def _shop(webhook: ShopifyWebhook) -> Shop | None:
    return Shop.objects.filter(domain=webhook.shop_domain).first()


def _customer(record: Customer, webhook: ShopifyWebhook) -> None:
    if shop := _shop(webhook):
        customers_apply(shop=shop, customers=[record], now=timezone.now())


def _consent(record: ConsentUpdate, webhook: ShopifyWebhook) -> None:
    """The consent of a customer (its phone named, or else the phone of the contact linked to it)."""
    shop = _shop(webhook)
    if shop is None or record.consent is None:
        return
    phone = record.phone or (Contact.objects.filter(shop=shop, shopify_customer_id=record.customer_id)
                             .values_list("phone", flat=True).first())
    customer = Customer(customer_id=record.customer_id, phone=phone, consent=record.consent)
    customers_apply(shop=shop, customers=[customer], now=timezone.now(), with_profile=False)


def _deleted(record: CustomerDeleted, webhook: ShopifyWebhook) -> None:
    if shop := _shop(webhook):
        customer_deleted(shop=shop, customer_id=record.customer_id, now=timezone.now())


def _data_request(record: DataRequest, webhook: ShopifyWebhook) -> None:
    if shop := _shop(webhook):
        customer_data_export(shop=shop, webhook_id=webhook.webhook_id, customer_id=record.customer_id,
                             phone=record.phone, request_id=record.request_id)


def _redact(record: CustomerRedact, webhook: ShopifyWebhook) -> None:
    if shop := _shop(webhook):
        customer_redact(shop=shop, customer_id=record.customer_id, phone=record.phone, now=timezone.now())


def _shop_redact(record: ShopRedact, webhook: ShopifyWebhook) -> None:
    shop_redact(domain=webhook.shop_domain)


def _order(record: Order, webhook: ShopifyWebhook) -> None:
    """orders/create, orders/paid, orders/cancelled: attributed to the shop the webhook came from (its HMAC was
    checked), so another shop's order is never credited here; a shop we do not know is ignored."""
    shop = _shop(webhook)
    if shop is None:
        logger.info("Shopify order webhook %s for unknown shop %s: ignored", webhook.webhook_id, webhook.shop_domain)
        return
    order_attribute(shop=shop, order=OrderFacts(
        order_id=record.order_id, phones=record.phones, created_at=record.created_at, total_price=record.total_price,
        currency=record.currency, cancelled=record.topic == "orders/cancelled" or record.cancelled_at is not None,
    ))


def _purchase_updated(record: Purchase, webhook: ShopifyWebhook) -> None:
    """Whatever the payload says, the purchase is credited only from the Admin API's reading: a task checks it."""
    args = [record.purchase_id, webhook.shop_domain]
    transaction.on_commit(lambda: task_publish(TASK_CREDIT_PURCHASE_CHECK, args=args,
                                               queue=settings.CELERY_QUEUE_SHOPIFY))


_HANDLERS: dict[type, Callable[[Any, ShopifyWebhook], None]] = {
    AppUninstalled: _uninstalled,
    Customer: _customer,
    ConsentUpdate: _consent,
    CustomerDeleted: _deleted,
    DataRequest: _data_request,
    CustomerRedact: _redact,
    ShopRedact: _shop_redact,
    Order: _order,
    Purchase: _purchase_updated,
}
