"""`python manage.py demo`: one campaign sent end to end through the bundled Mitto simulator, to the demo shop's
contacts and its customers synced first from the bundled Shopify simulator, its credits bought as a pack in the
same simulator (approved there, credited through our return URL). Its message carries a link: once the delivery
reports are in, a share of the customers open their short link through our redirect over HTTP (some link
previewers too), orders come from the Shopify simulator as signed orders/create webhooks, and the campaign's
report (`GET /api/v1/campaigns/{id}/report`) is printed (campaigns/management/demo_links.py).

On the embedded defaults (no DATABASE_URL / REDIS_URL) everything runs in this process: SQLite, in-process
tasks, in-process limiter, clicks written as they come (no click stream). With a broker configured it starts a
real Celery worker for the demo's duration. Each run creates a new demo shop, so running it twice is fine.
"""

import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import time as dt_time
from wsgiref.simple_server import WSGIRequestHandler, make_server

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from campaigns.management import demo_links
from campaigns.models import Campaign, Contact, Shop, ShopifyInstall
from campaigns.selectors import campaign_status
from campaigns.services.errors import DomainError
from campaigns.services.purchases.buy import credit_purchase_start
from campaigns.services.purchases.packs import credit_packs
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.shopify_sync.status import shopify_status
from campaigns.services.shopify_sync.sync import shopify_sync_run
from config.celery import app
from messaging.simulator import MittoSimulator
from metrics.models import CampaignMetrics
from shopify.simulator import ShopifySimulator
from shopify.tokens import encrypt_token

DEMO_KEY = "demo-mitto-key"
DEMO_ACCOUNT = "d3m0d3m0-0000-4000-8000-000000000001"
DLR_PATH = "/webhooks/mitto/dlr"
SHOPIFY_WEBHOOK_PATH = "/webhooks/shopify"
WORKER_STOP_S = 30
FIRST_NAMES = ("Maria", "Nikos", "Eleni", "Giorgos", "Anna", "Kostas", "Sofia", "Dimitris")


def _contacts(shop: Shop, count: int) -> None:
    """`count` contacts: about 2% with numbers no network has (the provider rejects them), 3% opted out."""
    now = timezone.now()
    rows = []
    for n in range(count):
        invalid, opted_out = n % 50 == 7, n % 33 == 5
        rows.append(Contact(
            shop=shop, phone=f"+1555{n:07d}" if invalid else f"+30691{n:07d}",
            first_name=FIRST_NAMES[n % len(FIRST_NAMES)], sms_consent=True, consent_at=now, consent_source="demo",
            opted_out_at=now if opted_out else None,
        ))
    Contact.objects.bulk_create(rows, batch_size=2000)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


class Command(BaseCommand):
    help = "Send a personalised demo campaign end to end through the bundled Mitto simulator."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=5000, help="how many demo contacts (default 5000)")
        parser.add_argument("--batch-size", type=int, default=500, help="messages per bulk request (default 500)")
        parser.add_argument("--customers", type=int, default=1000,
                            help="customers of the demo shop in the Shopify simulator, synced first (default 1000)")

    def handle(self, *args, contacts: int, batch_size: int, customers: int, **options):
        for name in ("celery", "kombu"):
            logging.getLogger(name).setLevel(logging.ERROR)
        with MittoSimulator(api_key=DEMO_KEY, seed=7) as simulator, override_settings(
            MITTO_API_BASE=simulator.base_url, MITTO_API_KEY=DEMO_KEY, SMS_BATCH_SIZE=max(1, min(batch_size, 5000)),
            MITTO_WEBHOOK_SECRET=settings.MITTO_WEBHOOK_SECRET or secrets.token_hex(16),
        ), ShopifySimulator(api_secret=secrets.token_hex(16), seed=7) as shopify:
            self._run(simulator, shopify, contacts, customers)

    def _run(self, simulator: MittoSimulator, shopify: ShopifySimulator, contacts: int, customers: int) -> None:
        eager = bool(app.conf.task_always_eager)
        shop, campaign = self._prepare(contacts)
        self._say(f"Simulator at {simulator.base_url}; {'in-process tasks' if eager else 'a Celery worker'}; "
                  f"database {connection.vendor}.")
        webhook = self._webhook_server(simulator)
        base = f"http://127.0.0.1:{webhook.server_port}"
        worker = None
        try:
            with override_settings(**shopify.app_settings(app_url=base), LINK_BASE_URL=f"{base}/l"):
                synced = self._shopify_sync(shop, shopify, customers)
                self._topup = self._buy_credits(shop, shopify, needed=(contacts + synced) * 2)
                worker = None if eager else self._worker(simulator, link_base=f"{base}/l")
                self._send(shop, campaign, eager)
                campaign.refresh_from_db()
                shop.refresh_from_db()
                self._say(json.dumps(campaign_status(shop_id=campaign.shop_id, campaign_id=campaign.id), indent=2))
                self._say(f"Credits used: {shop.credits_held + self._topup - shop.credits} "
                          f"(balance {shop.credits}, still held {shop.credits_held}).")
                self._delivery_reports(simulator, campaign)
                self._clicks_and_orders(simulator, shopify, campaign, base)
        finally:
            if worker is not None:
                worker.terminate()  # a warm shutdown
                worker.wait(WORKER_STOP_S)
            webhook.shutdown()

    def _say(self, text: str) -> None:
        self.stdout.write(text)

    def _prepare(self, count: int) -> tuple[Shop, Campaign]:
        domain = f"demo-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}.myshopify.com"
        # The demo sends at any hour: its shop's quiet-hours window is open all day (start == end).
        shop = Shop.objects.create(domain=domain, name="Demo Shop", sender="DemoShop",
                                   quiet_hours_start=dt_time(0, 0), quiet_hours_end=dt_time(0, 0),
                                   traffic_account_id=settings.MITTO_TRAFFIC_ACCOUNT_ID or DEMO_ACCOUNT)
        _contacts(shop, count)
        campaign = Campaign.objects.create(shop=shop, name="Spring sale", body="Hi {{ first_name }}, spring sale "
                                           "at Demo Shop: 20% off today https://demo-shop.example/spring "
                                           "Reply STOP to opt out.")
        self._say(f"Shop {domain}: {count} contacts; campaign #{campaign.id} \"{campaign.name}\".")
        return shop, campaign

    def _shopify_sync(self, shop: Shop, shopify: ShopifySimulator, customers: int) -> int:
        """Install the shop from the Shopify simulator, whose store holds `customers` customers (every tenth
        without a phone, some unsubscribed or pending), and run the first customer sync; the contacts it made."""
        token = shopify.create_shop(shop.domain, customers=customers, token=True, development=True)["access_token"]
        install = ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token(token),
                                                installed_at=timezone.now(), sync_state="running")
        shopify_sync_run(install_id=install.pk)
        status = shopify_status(shop=shop)
        self._say(f"Shopify: installed from the simulator, first sync {status['sync']['state']}: "
                  f"{json.dumps(status['sync'])}")
        consenting = Contact.objects.filter(shop=shop, consent_source="shopify", sms_consent=True).count()
        self._say(f"  {consenting} synced customers consent to SMS marketing (only `subscribed` counts).")
        return status["sync"]["contactsCreated"]

    def _buy_credits(self, shop: Shop, shopify: ShopifySimulator, *, needed: int) -> int:
        """Buy packs in the Shopify simulator until `needed` credits are in: each purchase created as the API
        does, approved on the simulator's confirmation page, credited when Shopify sends the merchant back to our
        return URL (served by the demo's web server). The credits bought."""
        packs = credit_packs()
        bought = 0
        while bought < needed:
            pack = next((p for p in packs if p.credits >= needed - bought), packs[-1])
            purchase = credit_purchase_start(shop=shop, credits=pack.credits)
            approved = requests.get(purchase.confirmation_url, allow_redirects=False, timeout=30)
            requests.get(approved.headers["Location"], allow_redirects=False, timeout=30)  # our return URL
            purchase.refresh_from_db()
            if purchase.status != purchase.Status.ACTIVE:
                raise CommandError(f"the demo's credit purchase {purchase.pk} ended {purchase.status}")
            bought += pack.credits
            self._say(f"Bought {pack.credits} credits ({pack.price} {purchase.currency}, a Shopify test charge).")
        shop.refresh_from_db()
        self._say(f"Balance {shop.credits} credits, all from the ledger's purchases.")
        return bought

    def _worker(self, simulator, *, link_base: str) -> subprocess.Popen:
        """A `celery -A config worker` on the send, periodic and Shopify queues, on this process's settings."""
        self._say("Starting a Celery worker…")
        env = {**os.environ, "MITTO_API_BASE": simulator.base_url, "MITTO_API_KEY": DEMO_KEY, "LOG_LEVEL": "WARNING",
               "LINK_BASE_URL": link_base}
        queues = ",".join((settings.CELERY_QUEUE_SEND, settings.CELERY_QUEUE_PERIODIC, settings.CELERY_QUEUE_SHOPIFY))
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", queues, "--loglevel", "WARNING"],
            cwd=settings.BASE_DIR, env=env,
        )

    def _send(self, shop: Shop, campaign: Campaign, eager: bool) -> None:
        """Enqueue (in a thread when tasks run in-process, so sending happens while this one draws the bar)."""
        failure, enqueued = [], []

        def enqueue():
            try:
                enqueued.append(campaign_enqueue(shop=shop, campaign_id=campaign.id))
            except DomainError as exc:
                failure.append(exc)
            finally:
                if eager:
                    connection.close()

        if eager:
            sender = threading.Thread(target=enqueue)
            sender.start()
        else:
            enqueue()
        self._progress(campaign, until=lambda: failure or (eager and not sender.is_alive()))
        if eager:
            sender.join()
        if failure:
            raise CommandError(f"enqueue refused: {failure[0].reason}: {failure[0].detail}")
        self._say(f"Sent {enqueued[0].created} recipients in {enqueued[0].batches} bulk requests.")

    def _progress(self, campaign: Campaign, until, width: int = 40, timeout_s: float = 600) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            campaign.refresh_from_db()
            m = CampaignMetrics.objects.filter(campaign=campaign).first()
            done, total = (m.processed, m.total) if m else (0, 0)
            filled = width * done // total if total else 0
            state = campaign.status if m else "enqueueing"
            sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {state:<10}")
            sys.stdout.flush()
            if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SENDING) or until():
                break
            time.sleep(0.1)
        sys.stdout.write("\n")

    def _webhook_server(self, simulator: MittoSimulator):
        """Serve our DLR webhook in this process and point the simulator's delivery reports at it. The
        reports are held back (a long delay) until `_delivery_reports` flushes them after sending."""
        server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_QuietHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        simulator.configure(dlr_url=f"http://127.0.0.1:{server.server_port}{DLR_PATH}",
                            dlr_token=settings.MITTO_WEBHOOK_SECRET, dlr_delivered_share=0.97,
                            dlr_delay_ms=3_600_000)
        return server

    def _delivery_reports(self, simulator: MittoSimulator, campaign: Campaign) -> None:
        """Post the simulator's delivery reports to our webhook, then show the delivered counts."""
        reported = simulator.flush_reports()
        campaign.refresh_from_db()
        m = CampaignMetrics.objects.get(campaign=campaign)
        self._say(f"Delivery reports: {reported} posted to {DLR_PATH}; delivered {m.delivered}, failed {m.failed}.")
        self._say(json.dumps(campaign_status(shop_id=campaign.shop_id, campaign_id=campaign.id), indent=2))

    def _clicks_and_orders(self, simulator: MittoSimulator, shopify: ShopifySimulator, campaign: Campaign,
                           base: str) -> None:
        """A share of the links clicked through our redirect over HTTP, orders from the Shopify simulator as signed
        webhooks, then the campaign's report from the API."""
        pause = settings.LINK_BOT_CLICK_SECONDS + 1
        self._say(f"Waiting {pause} s: a click within {settings.LINK_BOT_CLICK_SECONDS} s of the delivery is a "
                  "link previewer's, not a customer's…")
        time.sleep(pause)
        done = demo_links.clicks_made(accepted=simulator.accepted(), link_base=settings.LINK_BASE_URL)
        time.sleep(1)  # Shopify's order times have whole seconds: the orders come after the clicks
        # Only now do the simulator's webhooks come to us: earlier ones (the purchase's) would write to the embedded
        # database from the server's thread while the send writes from this one.
        shopify.configure(webhook_url=f"{base}{SHOPIFY_WEBHOOK_PATH}")
        demo_links.orders_posted(done=done, campaign=campaign, shopify_base=shopify.base_url,
                                 domain=campaign.shop.domain)
        for line in demo_links.done_lines(done):
            self._say(line)
        for line in demo_links.report_lines(demo_links.report_fetched(base=base, campaign=campaign)):
            self._say(line)
