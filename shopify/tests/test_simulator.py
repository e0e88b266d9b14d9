"""The Shopify simulator over real HTTP (a thread), driven by our own OAuth helpers and Admin client."""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from shopify import admin, oauth
from shopify.client import AdminClient
from shopify.errors import AuthError, GraphQLError, Locked, NotFound, OAuthError, Throttled, UserErrors
from shopify.simulator import ShopifySimulator, SimulatorConfig
from shopify.simulator import customers as customers_module
from shopify.webhooks import parse_webhook, verify_webhook

SECRET = "sim-secret-for-tests"
SHOP = "demo.myshopify.com"
ROOT = Path(__file__).resolve().parents[2]


def _eventually(check, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def sim(settings):
    """The simulator, and this process's Shopify settings pointing at it."""
    with ShopifySimulator(api_key="client-id", api_secret=SECRET, seed=3, webhook_retry_ms=10) as simulator:
        for name, value in simulator.app_settings().items():
            setattr(settings, name, value)
        yield simulator


def _client(sim, customers=0, **options) -> AdminClient:
    token = sim.create_shop(SHOP, customers=customers, token=True)["access_token"]
    return AdminClient(SHOP, token, **options)


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.server.posts.append((dict(self.headers), raw, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A webhook endpoint recording every post (headers, raw body, answered status)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.posts, server.statuses = [], []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/shopify"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


# --- OAuth ----------------------------------------------------------------------------------------------------------

def _authorize(sim) -> dict:
    answer = requests.get(oauth.authorize_url(SHOP, oauth.issue_nonce(SHOP)), allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://app.example/shopify/callback"
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def test_install_redirects_back_signed_as_shopify_signs_and_the_code_buys_a_token(sim):
    query = _authorize(sim)
    assert set(query) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert oauth.verify_query(query) == SHOP
    oauth.consume_nonce(query["state"], SHOP)
    token = oauth.exchange_code(SHOP, query["code"])
    assert token.expires_at is not None and token.refresh_token and token.scope.startswith("read_customers")
    assert AdminClient(SHOP, token.access_token).query("{ currentBulkOperation { id } }") == {
        "currentBulkOperation": None}
    with pytest.raises(OAuthError):  # a code is good once
        oauth.exchange_code(SHOP, query["code"])


def test_the_redirect_hmac_fails_under_another_secret(sim):
    query = _authorize(sim)
    with pytest.raises(OAuthError, match="does not match"):
        oauth.verify_query(query, secret="another-secret")


def test_a_wrong_client_secret_or_id_is_refused(sim, settings):
    code = _authorize(sim)["code"]
    settings.SHOPIFY_API_SECRET = "wrong"
    with pytest.raises(OAuthError):
        oauth.exchange_code(SHOP, code)
    settings.SHOPIFY_API_KEY = "other-app"
    answer = requests.get(oauth.authorize_url(SHOP, "n" * 20), allow_redirects=False, timeout=5)
    assert answer.status_code == 400


def test_refresh_gives_a_new_token_and_retires_the_refresh_token(sim):
    query = _authorize(sim)
    first = oauth.exchange_code(SHOP, query["code"])
    second = oauth.refresh_token(SHOP, first)
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    AdminClient(SHOP, second.access_token).query("{ currentBulkOperation { id } }")
    with pytest.raises(OAuthError):
        oauth.refresh_token(SHOP, first)


def test_an_expired_token_is_refused(sim):
    sim.configure(token_ttl_s=1)
    token = oauth.exchange_code(SHOP, _authorize(sim)["code"])
    sim.shop(SHOP).tokens[token.access_token] = time.time() - 1
    with pytest.raises(AuthError):
        AdminClient(SHOP, token.access_token).query("{ currentBulkOperation { id } }")


def test_non_expiring_tokens_when_configured(sim):
    sim.configure(token_ttl_s=0)
    token = oauth.exchange_code(SHOP, _authorize(sim)["code"])
    assert token.expires_at is None and token.refresh_token is None


# --- GraphQL --------------------------------------------------------------------------------------------------------

def test_a_bad_token_is_401_and_an_unknown_shop_404(sim):
    _client(sim)
    with pytest.raises(AuthError):
        AdminClient(SHOP, "shpat_wrong").query("{ currentBulkOperation { id } }")
    with pytest.raises(NotFound):
        AdminClient("nobody.myshopify.com", "x").query("{ currentBulkOperation { id } }")


def test_paging_reads_every_customer_once_in_order(sim):
    client = _client(sim, customers=620)
    pages = list(admin.customer_pages(client))
    ids = [customer.customer_id for page in pages for customer in page.customers]
    assert [len(page.customers) for page in pages] == [250, 250, 120]
    assert len(ids) == 620 and ids == sorted(set(ids))
    without_phone = [c for page in pages for c in page.customers if c.phone is None]
    assert len(without_phone) == 62 and all(c.consent is None for c in without_phone)
    states = {c.consent.state for page in pages for c in page.customers if c.consent}
    assert states == {"subscribed", "not_subscribed", "pending", "unsubscribed", "redacted"}
    assert client.last_throttle.requested_cost == 252


def test_paging_filters_on_updated_at_and_resumes_from_a_cursor(sim):
    client = _client(sim, customers=3000)
    newer = [c for p in admin.customer_pages(client, query="updated_at:>'2026-01-01T00:00:01Z'") for c in p.customers]
    assert len(newer) == 1000  # the generator's third thousand has updatedAt 00:00:02
    first_page = next(admin.customer_pages(client, page_size=10))
    rest = next(admin.customer_pages(client, page_size=10, after=first_page.end_cursor))
    assert rest.customers[0].customer_id == first_page.customers[-1].customer_id + 1


def test_a_page_larger_than_250_or_a_bad_cursor_is_a_graphql_error(sim):
    client = _client(sim, customers=10)
    with pytest.raises(GraphQLError, match="between 1 and 250"):
        next(admin.customer_pages(client, page_size=251))
    with pytest.raises(GraphQLError, match="Invalid cursor"):
        next(admin.customer_pages(client, after="garbage"))


def test_throttled_on_purpose_then_served(sim):
    sleeps = []
    client = _client(sim, customers=5, sleep=sleeps.append)
    sim.configure(throttle_next=2)
    assert len(next(admin.customer_pages(client)).customers) == 5
    assert len(sleeps) == 2 and sim.stats()["calls_by_operation"]["customers"] == 3


def test_the_cost_bucket_throttles_and_the_client_waits_it_out(sim):
    sim.configure(bucket_max=260, restore_rate=250)  # one page (cost 252) a second
    client = _client(sim, customers=600)
    assert sum(len(page.customers) for page in admin.customer_pages(client)) == 600
    stats = sim.stats()
    assert stats["throttled"] > 0 and stats["calls_by_operation"]["customers"] == 3 + stats["throttled"]


def test_throttled_beyond_the_clients_patience(sim):
    client = _client(sim, sleep=lambda s: None, max_throttle_waits=2)
    sim.configure(throttle_next=5)
    with pytest.raises(Throttled):
        admin.bulk_operation_current(client)


def test_armed_http_failures(sim):
    client = _client(sim, sleep=lambda s: None)
    sim.configure(fail_status=423, fail_next=1)
    with pytest.raises(Locked):
        admin.bulk_operation_current(client)
    sim.configure(fail_status=500, fail_next=2)
    assert admin.bulk_operation_current(client) is None  # retried past two 500s


def test_bulk_export_polls_then_serves_json_lines_equal_to_paging(sim):
    sim.configure(bulk_polls=2)
    client = _client(sim, customers=1234)
    started = admin.bulk_customers_start(client)
    with pytest.raises(UserErrors, match="already in progress"):
        admin.bulk_customers_start(client)
    polls = []
    done = admin.bulk_operation_wait(client, operation_id=started.operation_id, interval_s=0, sleep=polls.append)
    assert done.status == "COMPLETED" and done.object_count == 1234 and len(polls) == 2
    bulk = list(admin.bulk_customers(done.url))
    paged = [c for page in admin.customer_pages(client) for c in page.customers]
    assert bulk == paged


def test_bulk_export_includes_changes_and_hides_deletions(sim):
    client = _client(sim, customers=30)
    first = sim.shop(SHOP).customers.base_id
    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/customers/{first}/delete", timeout=5)
    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/customers", json={"id": first + 1, "first_name": "Zoë"}, timeout=5)
    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/customers", json={"phone": "+12125550100"}, timeout=5)
    admin.bulk_customers_start(client)
    customers = list(admin.bulk_customers(admin.bulk_operation_wait(client, sleep=lambda s: None).url))
    assert len(customers) == 30 and customers[0].first_name == "Zoë" and customers[-1].phone == "+12125550100"
    assert first not in {c.customer_id for c in customers}


@pytest.fixture
def rendered_lines(monkeypatch):
    """The generated customer lines the simulator renders (their ids), counted by wrapping the line writer."""
    rendered = []
    original = customers_module._generated_line

    def counting(customer_id, *args):
        rendered.append(customer_id)
        return original(customer_id, *args)

    monkeypatch.setattr(customers_module, "_generated_line", counting)
    return rendered


def _bulk_url(sim, customers: int) -> str:
    client = _client(sim, customers=customers)
    admin.bulk_customers_start(client)
    return admin.bulk_operation_wait(client, sleep=lambda s: None).url


def _read(url: str) -> bytes:
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200
    return answer.content


def test_bulk_export_is_rendered_once_for_an_unchanged_store(sim, rendered_lines):
    url = _bulk_url(sim, customers=5000)
    first = _read(url)
    assert len(rendered_lines) == 5000 and first.count(b"\n") == 5000
    assert _read(url) == first and len(rendered_lines) == 5000  # served from the kept render


@pytest.mark.parametrize("change", ["change", "create", "delete"])
def test_bulk_export_shows_a_change_made_after_it_was_kept(sim, rendered_lines, change):
    url = _bulk_url(sim, customers=300)
    base, first = f"{sim.base_url}/_sim/shops/{SHOP}", sim.shop(SHOP).customers.base_id
    before = _read(url)
    assert _read(url) == before and len(rendered_lines) == 300
    if change == "change":
        requests.post(f"{base}/customers", json={"id": first + 1, "first_name": "Zoë"}, timeout=5)
    elif change == "create":
        requests.post(f"{base}/customers", json={"phone": "+12125550100"}, timeout=5)
    else:
        requests.post(f"{base}/customers/{first}/delete", timeout=5)
    after = _read(url)
    shown = {"change": "Zoë".encode() in after, "create": b'"+12125550100"' in after,
             "delete": f'"gid://shopify/Customer/{first}"'.encode() not in after}
    assert shown[change] and after != before
    rendered = len(rendered_lines)
    assert _read(url) == after and len(rendered_lines) == rendered  # the new version is kept in turn


def test_bulk_export_read_abandoned_midway_keeps_nothing(sim, rendered_lines, monkeypatch):
    url = urlsplit(_bulk_url(sim, customers=50_000))  # ~24 MB: more than the sockets' buffers hold
    closed = threading.Event()
    original = customers_module.CustomerTable.jsonl

    def tracked(self, chunk=2000):
        try:
            yield from original(self, chunk)
        finally:
            closed.set()

    monkeypatch.setattr(customers_module.CustomerTable, "jsonl", tracked)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", url.path)
    answer = connection.getresponse()
    assert answer.status == 200 and answer.read(1000)
    answer.close()
    connection.close()
    assert closed.wait(10), "the simulator did not give up the abandoned export"
    del rendered_lines[:]
    table = sim.shop(SHOP).customers
    fresh = b"".join(customers_module.CustomerTable(table.base_id, 50_000).jsonl())
    del rendered_lines[:]
    assert _read(url.geturl()) == fresh and len(rendered_lines) == 50_000  # rendered whole, not resumed
    assert _read(url.geturl()) == fresh and len(rendered_lines) == 50_000


def test_bulk_export_changed_while_rendering_is_not_kept(rendered_lines):
    table = customers_module.CustomerTable(base_id=1000, count=5000)
    reading = table.jsonl(chunk=1000)
    head = next(reading)
    table.delete(1000)  # a customer already sent in `head`
    stale = head + b"".join(reading)
    assert b'"gid://shopify/Customer/1000"' in stale
    current = b"".join(table.jsonl(chunk=1000))
    assert b'"gid://shopify/Customer/1000"' not in current and len(rendered_lines) == 5000 + 4999
    assert b"".join(table.jsonl(chunk=1000)) == current and len(rendered_lines) == 5000 + 4999


def test_consent_write_back_changes_the_store_and_sends_the_echo_webhooks(sim, receiver):
    client = _client(sim, customers=3)
    admin.webhook_subscribe(client, topic="customers_marketing_consent/update", callback_url=receiver.url)
    target = sim.shop(SHOP).customers.base_id  # generated index 0: SUBSCRIBED
    customer = admin.consent_update(client, customer_id=target, state="UNSUBSCRIBED")
    assert customer.consent.state == "unsubscribed"
    assert next(admin.customer_pages(client)).customers[0].consent.state == "unsubscribed"
    _eventually(lambda: receiver.posts)
    headers, raw, _ = receiver.posts[0]
    assert verify_webhook(raw, headers["X-Shopify-Hmac-Sha256"], secret=SECRET)
    assert headers["X-Shopify-Topic"] == "customers_marketing_consent/update"
    assert headers["X-Shopify-Shop-Domain"] == SHOP and headers["X-Shopify-API-Version"] == "2026-10"
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"] and headers["X-Shopify-Triggered-At"]
    update = parse_webhook(headers["X-Shopify-Topic"], raw)
    assert update.customer_id == target and update.consent.state == "unsubscribed"


def test_consent_write_back_refusals(sim):
    client = _client(sim, customers=10)
    no_phone = sim.shop(SHOP).customers.base_id + 9
    with pytest.raises(UserErrors, match="phone"):
        admin.consent_update(client, customer_id=no_phone, state="UNSUBSCRIBED")
    with pytest.raises(UserErrors, match="not found"):
        admin.consent_update(client, customer_id=1, state="UNSUBSCRIBED")
    with pytest.raises(UserErrors, match="Invalid"):
        admin.consent_update(client, customer_id=no_phone - 1, state="REDACTED")


# --- webhooks -------------------------------------------------------------------------------------------------------

def _subscribe_all(sim, receiver) -> AdminClient:
    client = _client(sim, customers=5)
    for topic in ("customers/create", "customers/update", "customers/delete", "customers_marketing_consent/update",
                  "orders/create", "app/uninstalled", "app_purchases_one_time/update"):
        admin.webhook_subscribe(client, topic=topic, callback_url=receiver.url)
    return client


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(sim, receiver):
    _subscribe_all(sim, receiver)
    receiver.statuses[:] = [500, 503]
    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/orders", json={"total_price": "12.50"}, timeout=5)
    _eventually(lambda: len(receiver.posts) == 3)
    assert [status for _, _, status in receiver.posts] == [500, 503, 200]
    assert len({headers["X-Shopify-Webhook-Id"] for headers, _, _ in receiver.posts}) == 1
    assert [record["attempt"] for record in sim.deliveries()] == [1, 2, 3]


def test_a_delivery_is_given_up_after_the_configured_attempts(sim, receiver):
    sim.configure(webhook_attempts=2, webhook_hold=True)
    _subscribe_all(sim, receiver)
    receiver.statuses[:] = [500] * 5
    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/customers/{sim.shop(SHOP).customers.base_id}/delete", timeout=5)
    assert sim.flush_webhooks() == 0
    assert len(receiver.posts) == 2 and sim.stats()["webhooks_given_up"] == 1


def test_duplicates_reordering_and_bad_signatures_on_request(sim, receiver):
    sim.configure(webhook_hold=True, webhook_duplicates=True, webhook_reorder=True)
    _subscribe_all(sim, receiver)
    for n in range(20):
        customer = {"phone": f"+1212555{n:04d}", "consent": {"state": "subscribed"}}
        requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/customers", json=customer, timeout=5)
    assert sim.stats()["webhooks_pending"] == 40 and not receiver.posts  # held: create + consent for each
    sim.flush_webhooks()
    ids = [headers["X-Shopify-Webhook-Id"] for headers, _, _ in receiver.posts]
    assert len(ids) == 80 and len(set(ids)) == 40 and all(ids.count(i) == 2 for i in ids)
    phones = [json.loads(raw)["phone"] for headers, raw, _ in receiver.posts
              if headers["X-Shopify-Topic"] == "customers/create"]
    assert phones != sorted(phones)
    receiver.posts.clear()
    sim.configure(webhook_duplicates=False, webhook_bad_hmac_share=1.0, webhook_attempts=1)
    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/orders", json={}, timeout=5)
    sim.flush_webhooks()
    headers, raw, _ = receiver.posts[0]
    assert not verify_webhook(raw, headers["X-Shopify-Hmac-Sha256"], secret=SECRET)
    assert sim.deliveries()[-1]["signed_ok"] is False


def test_uninstall_sends_app_uninstalled_then_kills_the_token(sim, receiver):
    client = _subscribe_all(sim, receiver)
    requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/uninstall", timeout=5)
    _eventually(lambda: receiver.posts)
    headers, raw, _ = receiver.posts[0]
    assert headers["X-Shopify-Topic"] == "app/uninstalled"
    assert parse_webhook("app/uninstalled", raw).shop_domain == SHOP
    with pytest.raises(AuthError):
        admin.bulk_operation_current(client)


@pytest.mark.parametrize(("endpoint", "topic"), [("customers_data_request", "customers/data_request"),
                                                 ("customers_redact", "customers/redact"),
                                                 ("shop_redact", "shop/redact")])
def test_privacy_webhooks_go_to_the_apps_endpoint(sim, receiver, endpoint, topic):
    _subscribe_all(sim, receiver)
    customer_id = sim.shop(SHOP).customers.base_id + 1
    answer = requests.post(f"{sim.base_url}/_sim/shops/{SHOP}/privacy/{endpoint}",
                           json={"customer_id": customer_id, "orders": [5]}, timeout=5)
    assert answer.status_code == 200
    _eventually(lambda: receiver.posts)
    headers, raw, _ = receiver.posts[0]
    record = parse_webhook(headers["X-Shopify-Topic"], raw)
    assert headers["X-Shopify-Topic"] == topic and record.shop_domain == SHOP
    if topic != "shop/redact":
        assert record.customer_id == customer_id and record.phone == "+12122000001"


# --- purchases --------------------------------------------------------------------------------------------------------

def test_a_purchase_is_pending_until_approved_and_decided_once(sim, receiver):
    client = _subscribe_all(sim, receiver)
    purchase = admin.purchase_create(client, name="1000 SMS", amount=12, currency="USD",
                                     return_url="https://app.example/billing/return", test=True)
    assert admin.purchase_status(client, purchase.purchase_id).status == "PENDING"
    answer = requests.get(purchase.confirmation_url, allow_redirects=False, timeout=5)
    number = purchase.purchase_id.rsplit("/", 1)[1]
    assert answer.headers["Location"] == f"https://app.example/billing/return?charge_id={number}"
    assert admin.purchase_status(client, purchase.purchase_id).active
    assert requests.post(f"{sim.base_url}/_sim/purchases/{number}/decline", timeout=5).json()["status"] == "ACTIVE"
    _eventually(lambda: receiver.posts)
    update = parse_webhook("app_purchases_one_time/update", receiver.posts[0][1])
    assert (update.purchase_id, update.status) == (purchase.purchase_id, "ACTIVE")


@pytest.mark.parametrize(("decision", "status"), [("decline", "DECLINED"), ("expire", "EXPIRED")])
def test_a_purchase_declined_or_expired(sim, decision, status):
    client = _client(sim)
    purchase = admin.purchase_create(client, name="x", amount=1, currency="USD", return_url="https://r.example/")
    number = purchase.purchase_id.rsplit("/", 1)[1]
    requests.post(f"{sim.base_url}/_sim/purchases/{number}/{decision}", timeout=5)
    assert admin.purchase_status(client, purchase.purchase_id).status == status


@pytest.mark.parametrize("development", [True, False])
def test_the_shops_plan_tells_a_development_store(sim, development):
    token = sim.create_shop(SHOP, token=True, development=development)["access_token"]
    assert admin.shop_is_development(AdminClient(SHOP, token)) is development


def test_purchase_refusals(sim):
    client = _client(sim)
    with pytest.raises(UserErrors, match="Price"):
        admin.purchase_create(client, name="x", amount=0, currency="USD", return_url="https://r.example/")


# --- control endpoints and the command --------------------------------------------------------------------------

def test_config_stats_requests_and_reset_over_http(sim):
    _client(sim, customers=2)
    base = sim.base_url
    assert requests.post(f"{base}/_sim/config", json={"restore_rate": 50}, timeout=5).json()["restore_rate"] == 50
    assert requests.post(f"{base}/_sim/config", json={"port": 1}, timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/config", json={"fail_5xx_share": 2}, timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/config", json={"nope": 1}, timeout=5).status_code == 400
    assert requests.get(f"{base}/_sim/config", timeout=5).json()["restore_rate"] == 50
    assert requests.get(f"{base}/_sim/stats", timeout=5).json()["shops"][SHOP]["customers"] == 2
    assert requests.get(f"{base}/_sim/shops/{SHOP}/customers?limit=1", timeout=5).json()["total"] == 2
    assert requests.post(f"{base}/_sim/shops", json={"shop": "bad"}, timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/shops", data=b"[", timeout=5).status_code == 400
    assert requests.post(f"{base}/_sim/shops/nope.myshopify.com/uninstall", timeout=5).status_code == 404
    assert requests.post(f"{base}/_sim/reset", timeout=5).json() == {"reset": True}
    assert requests.get(f"{base}/_sim/stats", timeout=5).json()["shops"] == {}
    assert requests.get(f"{base}/_sim/requests", timeout=5).json() == []


def test_every_call_is_recorded(sim):
    client = _client(sim, customers=3)
    next(admin.customer_pages(client))
    call = sim.calls()[-1]
    assert (call.method, call.shop, call.operation, call.status) == ("POST", SHOP, "customers", 200)
    assert call.variables["first"] == 250 and call.path == f"/{SHOP}/admin/api/2026-10/graphql.json"


def test_config_checks_its_values():
    with pytest.raises(ValueError, match="fail_status"):
        SimulatorConfig(fail_status=200)
    assert SimulatorConfig().updated({"webhook_duplicates": "true", "webhook_url": ""}).webhook_duplicates is True


def test_the_management_command_serves_until_stopped():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shopify_simulator", "--port", str(port), "--shop", SHOP, "--customers", "7"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}, stdout=subprocess.PIPE,
    )
    try:
        _eventually(lambda: _stats(port) is not None, timeout_s=30)
        assert _stats(port)["shops"][SHOP]["customers"] == 7
    finally:
        process.terminate()
        process.wait(timeout=10)


def _stats(port: int) -> dict | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/_sim/stats", timeout=1).json()
    except requests.ConnectionError:
        return None
