"""The GraphQL Admin operations the simulator answers, picked by their root field (it is no GraphQL engine:
arguments come from `variables`, and every field of the objects below is answered whatever was selected).

Each operation returns `(data, cost)`; the cost is Shopify's rough rule: 2 + `first` for a customer page,
10 for a mutation, 1 for anything else.
"""

import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopify.simulator.customers import SimCustomer, iso_z
from shopify.simulator.store import BulkRun, Purchase, Shop
from shopify.webhooks import TOPICS

MAX_PAGE = 250
MUTATION_COST = 10
CONSENT_STATES_IN = ("SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "NOT_SUBSCRIBED")
OPT_IN_LEVELS_IN = ("SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN")
TOPIC_ENUMS = {topic.replace("/", "_").upper(): topic for topic in TOPICS}
UPDATED_FILTER = re.compile(r"updated_at:\s*(>=?)\s*'?([0-9T:\-+.Z ]+?)'?(?:\s|$)")
GID = re.compile(r"gid://shopify/(\w+)/(\d+)")


class QueryError(Exception):
    """A top-level GraphQL error (answered as `{"errors": [...]}` with HTTP 200)."""


@dataclass
class Context:
    shop: Shop
    base_url: str
    emit: Callable[[Shop, str, dict], None]  # (shop, topic, payload): queue a webhook
    bulk_polls: int
    next_number: Callable[[], int]
    purchases: dict[int, tuple[str, Purchase]]
    document: str = ""


def operation(document: str) -> str | None:
    """The root field the document asks for (the first one we know), or None."""
    for name in ("bulkOperationRunQuery", "currentBulkOperation", "customerSmsMarketingConsentUpdate",
                 "webhookSubscriptionCreate", "appPurchaseOneTimeCreate", "node", "customers", "shop"):
        if re.search(rf"(?<![\w$]){name}\s*[({{]", document):
            return name
    return None


def requested_cost(name: str, variables: dict) -> int:
    if name == "customers":
        return 2 + _first(variables)
    return MUTATION_COST if name in MUTATIONS else 1


def run(name: str, ctx: Context, variables: dict) -> tuple[dict, int]:
    return OPERATIONS[name](ctx, variables)


def customers(ctx: Context, variables: dict) -> tuple[dict, int]:
    first = _first(variables)
    after = _cursor_id(variables.get("after"))
    table, updated_after = ctx.shop.customers, _updated_after(variables.get("query"))
    found = []
    for customer in table.after(after, updated_after):
        found.append(customer)
        if len(found) > first:
            break
    page, more = found[:first], len(found) > first
    end = _cursor(page[-1].customer_id) if page else None
    connection: dict[str, Any] = {"nodes": [c.node() for c in page],
                                  "pageInfo": {"hasNextPage": more, "endCursor": end,
                                               "hasPreviousPage": after is not None,
                                               "startCursor": _cursor(page[0].customer_id) if page else None}}
    if "edges" in ctx.document:
        connection["edges"] = [{"cursor": _cursor(c.customer_id), "node": node}
                               for c, node in zip(page, connection["nodes"], strict=True)]
    return {"customers": connection}, 2 + len(page)


def bulk_run(ctx: Context, variables: dict) -> tuple[dict, int]:
    query = variables.get("query")
    shop = ctx.shop
    if not isinstance(query, str) or "customers" not in query:
        return _user_error("bulkOperationRunQuery", ["query"], "the simulator exports customers only"), MUTATION_COST
    if shop.bulk is not None and shop.bulk.status in ("CREATED", "RUNNING"):
        message = f"A bulk query operation for this app and shop is already in progress: {shop.bulk.gid}."
        return _user_error("bulkOperationRunQuery", None, message, code="OPERATION_IN_PROGRESS"), MUTATION_COST
    shop.bulk = BulkRun(number=ctx.next_number(), polls_left=ctx.bulk_polls)
    answer = {"bulkOperation": {"id": shop.bulk.gid, "status": "CREATED"}, "userErrors": []}
    return {"bulkOperationRunQuery": answer}, MUTATION_COST


def bulk_current(ctx: Context, variables: dict) -> tuple[dict, int]:
    run_ = ctx.shop.bulk
    if run_ is None:
        return {"currentBulkOperation": None}, 1
    if run_.status in ("CREATED", "RUNNING"):
        if run_.polls_left > 0:
            run_.polls_left -= 1
            run_.status = "RUNNING"
        else:
            run_.status = "COMPLETED"
    count = len(ctx.shop.customers)
    done = run_.status == "COMPLETED"
    url = f"{ctx.base_url}/_sim/bulk/{ctx.shop.domain}/{run_.number}.jsonl" if done and count else None
    return {"currentBulkOperation": {
        "id": run_.gid, "status": run_.status, "errorCode": None, "objectCount": str(count if done else 0),
        "fileSize": None, "url": url, "partialDataUrl": None, "type": "QUERY",
    }}, 1


def consent_update(ctx: Context, variables: dict) -> tuple[dict, int]:
    field = "customerSmsMarketingConsentUpdate"
    data = variables.get("input") if isinstance(variables.get("input"), dict) else {}
    match = GID.fullmatch(str(data.get("customerId") or ""))
    customer = ctx.shop.customers.get(int(match.group(2))) if match and match.group(1) == "Customer" else None
    consent = data.get("smsMarketingConsent") if isinstance(data.get("smsMarketingConsent"), dict) else {}
    state, level = consent.get("marketingState"), consent.get("marketingOptInLevel") or "SINGLE_OPT_IN"
    at = _time(consent.get("consentUpdatedAt")) if consent.get("consentUpdatedAt") else time.time()
    if customer is None:
        return _user_error(field, ["input", "customerId"], "Customer not found", code="INVALID"), MUTATION_COST
    if customer.phone is None:
        return _user_error(field, ["input", "smsMarketingConsent"], "A phone number is required to set the SMS "
                           "consent state.", code="MISSING_ARGUMENT"), MUTATION_COST
    if state not in CONSENT_STATES_IN or level not in OPT_IN_LEVELS_IN or at is None or at > time.time() + 60:
        return _user_error(field, ["input", "smsMarketingConsent"], "Invalid consent state, level or time",
                           code="INVALID"), MUTATION_COST
    changed = SimCustomer(**{**_fields(customer), "state": state, "opt_in_level": level, "consent_updated_at": at,
                             "collected_from": "OTHER", "updated_at": time.time()})
    ctx.shop.customers.put(changed)
    ctx.emit(ctx.shop, "customers_marketing_consent/update", changed.consent_webhook())
    ctx.emit(ctx.shop, "customers/update", changed.webhook())
    return {field: {"customer": changed.node(), "userErrors": []}}, MUTATION_COST


def webhook_create(ctx: Context, variables: dict) -> tuple[dict, int]:
    field = "webhookSubscriptionCreate"
    topic = TOPIC_ENUMS.get(str(variables.get("topic") or ""))
    subscription = variables.get("webhookSubscription")
    url = subscription.get("callbackUrl") if isinstance(subscription, dict) else None
    if topic is None:
        return _user_error(field, ["topic"], "Topic is not supported"), MUTATION_COST
    if not isinstance(url, str) or not re.match(r"https?://[^\s/]+", url):
        return _user_error(field, ["webhookSubscription", "callbackUrl"], "Address is invalid"), MUTATION_COST
    urls = ctx.shop.subscriptions.setdefault(topic, [])
    if url in urls:
        return _user_error(field, ["webhookSubscription", "callbackUrl"],
                           "Address for this topic has already been taken"), MUTATION_COST
    urls.append(url)
    number = ctx.next_number()
    answer = {"webhookSubscription": {"id": f"gid://shopify/WebhookSubscription/{number}", "topic": variables["topic"],
                                      "endpoint": {"callbackUrl": url}}, "userErrors": []}
    return {field: answer}, MUTATION_COST


def purchase_create(ctx: Context, variables: dict) -> tuple[dict, int]:
    field = "appPurchaseOneTimeCreate"
    name, return_url = variables.get("name"), variables.get("returnUrl")
    price = variables.get("price") if isinstance(variables.get("price"), dict) else {}
    try:
        amount = float(price.get("amount"))
    except (TypeError, ValueError):
        amount = 0.0
    if not isinstance(name, str) or not name.strip():
        return _user_error(field, ["name"], "Name can't be blank"), MUTATION_COST
    if not amount > 0 or not isinstance(price.get("currencyCode"), str):
        return _user_error(field, ["price"], "Price must be greater than 0"), MUTATION_COST
    if not isinstance(return_url, str) or not re.match(r"https?://", return_url):
        return _user_error(field, ["returnUrl"], "Return url is invalid"), MUTATION_COST
    purchase = Purchase(number=ctx.next_number(), name=name, amount=f"{amount:.2f}", currency=price["currencyCode"],
                        return_url=return_url, test=bool(variables.get("test")), created_at=time.time())
    purchase.updated_at = purchase.created_at
    ctx.purchases[purchase.number] = (ctx.shop.domain, purchase)
    confirmation = f"{ctx.base_url}/{ctx.shop.domain}/admin/charges/{purchase.number}/confirm_purchase"
    answer = {"appPurchaseOneTime": purchase_node(purchase), "confirmationUrl": confirmation, "userErrors": []}
    return {field: answer}, MUTATION_COST


def node(ctx: Context, variables: dict) -> tuple[dict, int]:
    match = GID.fullmatch(str(variables.get("id") or ""))
    if not match:
        raise QueryError(f"Invalid global id '{variables.get('id')}'")
    kind, number = match.group(1), int(match.group(2))
    found: dict | None = None
    if kind == "AppPurchaseOneTime" and ctx.purchases.get(number, ("",))[0] == ctx.shop.domain:
        found = {"__typename": kind, **purchase_node(ctx.purchases[number][1])}
    elif kind == "Customer" and (customer := ctx.shop.customers.get(number)) is not None:
        found = {"__typename": kind, **customer.node()}
    return {"node": found}, 1


def shop(ctx: Context, variables: dict) -> tuple[dict, int]:
    name = ctx.shop.domain.removesuffix(".myshopify.com")
    plan = {"partnerDevelopment": ctx.shop.development,
            "displayName": "Development" if ctx.shop.development else "Basic"}
    return {"shop": {"id": f"gid://shopify/Shop/{ctx.shop.shop_id}", "name": name,
                     "myshopifyDomain": ctx.shop.domain, "plan": plan}}, 1


def purchase_node(purchase: Purchase) -> dict:
    return {"id": purchase.gid, "name": purchase.name, "status": purchase.status, "test": purchase.test,
            "createdAt": iso_z(purchase.created_at),
            "price": {"amount": purchase.amount, "currencyCode": purchase.currency}}


def _fields(customer: SimCustomer) -> dict:
    return {name: getattr(customer, name) for name in SimCustomer.__slots__}


def _user_error(field: str, path: list | None, message: str, code: str = "INVALID") -> dict:
    return {field: {"userErrors": [{"field": path, "message": message, "code": code}]}}


def _first(variables: dict) -> int:
    first = variables.get("first")
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_PAGE:
        raise QueryError(f"first must be an integer between 1 and {MAX_PAGE}")
    return first


def _cursor(customer_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"last_id": customer_id}).encode()).decode()


def _cursor_id(cursor: Any) -> int | None:
    if cursor is None:
        return None
    try:
        return int(json.loads(base64.urlsafe_b64decode(str(cursor).encode()))["last_id"])
    except (ValueError, KeyError, TypeError):
        raise QueryError(f"Invalid cursor for current pagination sort: {str(cursor)[:40]}") from None


def _updated_after(query: Any) -> float | None:
    """The `updated_at:>'…'` bound of a search query (`>=` taken as `>` one second earlier); None without one."""
    match = UPDATED_FILTER.search(query) if isinstance(query, str) else None
    if not match:
        return None
    at = _time(match.group(2).strip())
    if at is None:
        raise QueryError(f"Invalid updated_at in query: {query[:80]}")
    return at - 1 if match.group(1) == ">=" else at


def _time(value: Any) -> float | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo else None


OPERATIONS: dict[str, Callable[[Context, dict], tuple[dict, int]]] = {
    "customers": customers, "bulkOperationRunQuery": bulk_run, "currentBulkOperation": bulk_current,
    "customerSmsMarketingConsentUpdate": consent_update, "webhookSubscriptionCreate": webhook_create,
    "appPurchaseOneTimeCreate": purchase_create, "node": node, "shop": shop,
}
MUTATIONS = ("bulkOperationRunQuery", "customerSmsMarketingConsentUpdate", "webhookSubscriptionCreate",
             "appPurchaseOneTimeCreate")
