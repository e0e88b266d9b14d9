"""The Admin API calls Shop SMS makes (SHOPIFY.md), over `AdminClient`: customer paging, the bulk export and
its JSON Lines, consent write-back, webhook subscriptions, one-time purchases and the shop's plan."""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
import requests

from shopify.client import AdminClient, obj_at
from shopify.errors import ShopifyError, TransientError, UserErrors, WebhookParseError
from shopify.http import session
from shopify.parsing import graphql_customer, numeric_id, text, when
from shopify.records import BulkOperation, Customer, Purchase

logger = logging.getLogger("shopify.admin")

PAGE_SIZE = 250
CUSTOMER_FIELDS = """id firstName lastName phone updatedAt tags
  smsMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt consentCollectedFrom }
  defaultPhoneNumber { phoneNumber smsMarketingConsent { state optInLevel updatedAt collectedFrom } }"""

CUSTOMERS_QUERY = f"""query Customers($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, query: $query) {{
    nodes {{ {CUSTOMER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
BULK_CUSTOMERS = f"{{ customers {{ edges {{ node {{ {CUSTOMER_FIELDS} }} }} }} }}"
BULK_RUN = """mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message code } }
}"""
BULK_CURRENT = """query { currentBulkOperation { id status errorCode objectCount url } }"""
CONSENT_UPDATE = f"""mutation ConsentUpdate($input: CustomerSmsMarketingConsentUpdateInput!) {{
  customerSmsMarketingConsentUpdate(input: $input) {{
    customer {{ {CUSTOMER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
WEBHOOK_CREATE = """mutation WebhookCreate(
  $topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id } userErrors { field message code }
  }
}"""
PURCHASE_CREATE = """mutation PurchaseCreate($name: String!, $price: MoneyInput!, $returnUrl: URL!, $test: Boolean) {
  appPurchaseOneTimeCreate(name: $name, price: $price, returnUrl: $returnUrl, test: $test) {
    appPurchaseOneTime { id name status createdAt } confirmationUrl userErrors { field message code }
  }
}"""
SHOP_PLAN = """query ShopPlan { shop { plan { partnerDevelopment } } }"""
PURCHASE_NODE = """query Purchase($id: ID!) {
  node(id: $id) { __typename ... on AppPurchaseOneTime { id name status createdAt } }
}"""


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customers: list[Customer]
    end_cursor: str | None
    has_next_page: bool
    skipped: int = 0  # nodes that could not be read (logged)


def customer_pages(client: AdminClient, *, after: str | None = None, query: str | None = None,
                   page_size: int = PAGE_SIZE) -> Iterator[CustomerPage]:
    """Every customer (matching `query`, e.g. `updated_at:>'2026-11-30T10:00:00Z'`), a page at a time from
    `after`; each page's `end_cursor` is where to resume."""
    cursor = after
    while True:
        data = client.query(CUSTOMERS_QUERY, {"first": page_size, "after": cursor, "query": query})
        connection = obj_at(data, "customers")
        nodes = connection.get("nodes")
        if not isinstance(nodes, list):
            raise ShopifyError(f"{client.shop}: the customers answer has no nodes list")
        customers, skipped = _customers(nodes)
        info = obj_at(connection, "pageInfo")
        cursor = text(info.get("endCursor"))
        more = info.get("hasNextPage") is True and cursor is not None
        yield CustomerPage(customers=customers, end_cursor=cursor, has_next_page=more, skipped=skipped)
        if not more:
            return


def bulk_customers_start(client: AdminClient) -> BulkOperation:
    """Start the whole-shop customer export. UserErrors when one is already running."""
    result = client.mutate(BULK_RUN, {"query": BULK_CUSTOMERS}, field="bulkOperationRunQuery")
    return _bulk(obj_at(result, "bulkOperation")) or BulkOperation(operation_id="", status="CREATED")


def bulk_operation_current(client: AdminClient) -> BulkOperation | None:
    return _bulk(obj_at(client.query(BULK_CURRENT), "currentBulkOperation"))


def bulk_operation_wait(client: AdminClient, *, operation_id: str | None = None, interval_s: float = 1.0,
                        timeout_s: float = 3600.0, sleep: Callable[[float], None] = time.sleep,
                        clock: Callable[[], float] = time.monotonic) -> BulkOperation:
    """Poll `currentBulkOperation` until it (the one named, if given) is finished; TransientError on timeout."""
    deadline = clock() + timeout_s
    while True:
        operation = bulk_operation_current(client)
        if operation is None:
            raise ShopifyError(f"{client.shop}: no current bulk operation")
        if operation_id and operation.operation_id != operation_id:
            raise ShopifyError(f"{client.shop}: another bulk operation replaced {operation_id}")
        if operation.finished:
            return operation
        if clock() >= deadline:
            raise TransientError(f"{client.shop}: bulk operation still {operation.status} after {timeout_s}s")
        sleep(interval_s)


def bulk_customers(url: str, *, timeout_s: float = 60.0, on_skip: Callable[[int], None] | None = None
                   ) -> Iterator[Customer]:
    """The customers of a finished export's JSON Lines, streamed: one line in memory at a time.

    Lines that are not customers (children with `__parentId`, unreadable lines) are skipped, counted through
    `on_skip(line_number)` and logged without their content.
    """
    return _bulk_file(url, timeout_s=timeout_s,
                      read=lambda response: _lines(response.iter_lines(chunk_size=256 * 1024), on_skip))


def bulk_line_blocks(url: str, *, skip: int = 0, lines: int = 50_000, first: int | None = None,
                     timeout_s: float = 60.0) -> Iterator[list[bytes]]:
    """The export's non-empty lines, raw, in blocks of `lines` (the last one shorter), after the first `skip`
    of them: for a reader that hands whole blocks on (the sync's reading thread); `bulk_line_customer` reads each.
    `first`: the first block that many lines, each next one twice the last up to `lines`, so the reader's consumer
    starts on a small block while the bigger ones are read."""
    return _bulk_file(url, timeout_s=timeout_s, read=lambda response: _blocks(
        response.iter_content(chunk_size=1 << 20), skip, lines, first or lines))


def _bulk_file(url: str, *, timeout_s: float, read: Callable[[requests.Response], Iterator[Any]]) -> Iterator[Any]:
    """What `read` yields from the export's streamed answer, fetched lazily; a failed fetch, an answer other than
    200 and a body cut off midway are TransientErrors (the sync retries them)."""
    try:
        response = session().get(url, stream=True, timeout=(10.0, timeout_s))
    except requests.RequestException as exc:
        raise TransientError(f"the bulk file could not be fetched ({type(exc).__name__})") from None
    with response:
        if response.status_code != 200:
            raise TransientError(f"the bulk file answered {response.status_code}", status=response.status_code)
        try:
            yield from read(response)
        except requests.RequestException as exc:
            raise TransientError(f"the bulk file was cut off ({type(exc).__name__})") from None


def bulk_line_customer(line: bytes, *, number: int) -> Customer | None:
    """One line of the export as a Customer; None for a line that is not one (a child line with `__parentId`,
    anything unreadable), logged by its `number` without its content."""
    try:
        node = orjson.loads(line)  # its JSONDecodeError is a ValueError; a number beyond 64 bits is one too
        if isinstance(node, dict) and "__parentId" in node:
            raise WebhookParseError("a child line")
        return graphql_customer(node)
    except (ValueError, WebhookParseError):
        logger.warning("Skipped line %s of a bulk file: not a customer", number)
        return None


def consent_update(client: AdminClient, *, customer_id: int, state: str, opt_in_level: str = "SINGLE_OPT_IN",
                   consent_updated_at: datetime | None = None) -> Customer:
    """Write a customer's SMS consent to Shopify (`UNSUBSCRIBED` for our STOPs, `SUBSCRIBED` for STARTs)."""
    consent: dict[str, Any] = {"marketingState": state.upper(), "marketingOptInLevel": opt_in_level.upper()}
    if consent_updated_at is not None:
        consent["consentUpdatedAt"] = consent_updated_at.isoformat()
    variables = {"input": {"customerId": f"gid://shopify/Customer/{customer_id}", "smsMarketingConsent": consent}}
    result = client.mutate(CONSENT_UPDATE, variables, field="customerSmsMarketingConsentUpdate")
    return graphql_customer(result.get("customer"))


def webhook_subscribe(client: AdminClient, *, topic: str, callback_url: str) -> str | None:
    """Subscribe `callback_url` to a topic (`customers/create` style); the subscription id, or None when the
    shop already had this subscription."""
    variables = {"topic": topic.replace("/", "_").upper(),
                 "webhookSubscription": {"callbackUrl": callback_url, "format": "JSON"}}
    try:
        result = client.mutate(WEBHOOK_CREATE, variables, field="webhookSubscriptionCreate")
    except UserErrors as exc:
        if any("taken" in str(error.get("message", "")).lower() for error in exc.user_errors):
            return None
        raise
    return text(obj_at(result, "webhookSubscription").get("id"))


def purchase_create(client: AdminClient, *, name: str, amount: Decimal, currency: str, return_url: str,
                    test: bool = False) -> Purchase:
    """A one-time purchase, PENDING until the merchant approves it at `confirmation_url`."""
    variables = {"name": name, "price": {"amount": str(amount), "currencyCode": currency.upper()},
                 "returnUrl": return_url, "test": test}
    result = client.mutate(PURCHASE_CREATE, variables, field="appPurchaseOneTimeCreate")
    purchase = _purchase(obj_at(result, "appPurchaseOneTime"), confirmation_url=text(result.get("confirmationUrl")))
    if purchase is None or purchase.confirmation_url is None:
        raise ShopifyError(f"{client.shop}: appPurchaseOneTimeCreate answered no purchase or confirmationUrl")
    return purchase


def shop_is_development(client: AdminClient) -> bool:
    """Whether the shop is a development store (`shop.plan.partnerDevelopment`): its charges must be tests."""
    return obj_at(client.query(SHOP_PLAN), "shop", "plan").get("partnerDevelopment") is True


def purchase_status(client: AdminClient, purchase_id: str) -> Purchase | None:
    """The purchase as the Admin API reads now (`node(id:)`); None when Shopify does not know it."""
    node = obj_at(client.query(PURCHASE_NODE, {"id": purchase_id}), "node")
    return _purchase(node) if node else None


def _customers(nodes: list) -> tuple[list[Customer], int]:
    customers, skipped = [], 0
    for node in nodes:
        try:
            customers.append(graphql_customer(node))
        except WebhookParseError:
            skipped += 1
            logger.warning("Skipped a customer node without a valid id")
    return customers, skipped


def _lines(lines: Iterator[bytes], on_skip: Callable[[int], None] | None) -> Iterator[Customer]:
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        customer = bulk_line_customer(line, number=number)
        if customer is None:
            if on_skip is not None:
                on_skip(number)
            continue
        yield customer


def _blocks(chunks: Iterator[bytes], skip: int, size: int, first: int) -> Iterator[list[bytes]]:
    """Lines as `iter_lines` splits them (a line ends at \\n, \\r\\n or \\r), empty ones left out; blocks of
    `first` lines, doubling up to `size`."""
    pending, block, limit = b"", [], min(first, size)
    for chunk in chunks:
        data = pending + chunk
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0:
            pending = data
            continue
        pending = data[end + 1:]
        block.extend(_split(data[:end + 1]))
        if skip:
            dropped = min(skip, len(block))
            del block[:dropped]
            skip -= dropped
        while len(block) >= limit:
            yield block[:limit]
            del block[:limit]
            limit = min(limit * 2, size)
    block.extend(_split(pending))
    del block[:skip]
    if block:
        yield block


def _split(data: bytes) -> list[bytes]:
    lines = data.splitlines() if b"\r" in data else data.split(b"\n")
    return [line for line in lines if line]


def _bulk(node: dict) -> BulkOperation | None:
    operation_id, status = text(node.get("id")), text(node.get("status"))
    if not operation_id or not status:
        return None
    count = node.get("objectCount")
    return BulkOperation(operation_id=operation_id, status=status.upper(), url=text(node.get("url")),
                         object_count=int(count) if str(count or "").isdigit() else None,
                         error_code=text(node.get("errorCode")))


def _purchase(node: dict, *, confirmation_url: str | None = None) -> Purchase | None:
    purchase_id = text(node.get("id"))
    if not purchase_id or numeric_id(purchase_id) is None:
        return None
    status = text(node.get("status"))
    return Purchase(purchase_id=purchase_id, status=status.upper() if status else None, name=text(node.get("name")),
                    confirmation_url=confirmation_url, created_at=when(node.get("createdAt")))
