"""The Shopify simulator as a real HTTP/1.1 server (keep-alive, a thread per connection, chunked streaming
for the bulk JSON Lines) and its Python API for tests."""

import logging
from typing import Any

from config.simulators import SimulatorHandler, ThreadedSimulator
from shopify.simulator.answers import Answer, json_answer
from shopify.simulator.app import SimulatorApp
from shopify.simulator.config import SimulatorConfig
from shopify.simulator.control import create_shop, deliveries, stats
from shopify.simulator.store import CallRecord, Shop
from shopify.simulator.webhooks import WebhookDispatcher

logger = logging.getLogger("shopify.simulator")
MAX_BODY = 32 * 1024 * 1024


class _Handler(SimulatorHandler):
    server_version = "ShopifySimulator/1.0"
    logger = logger
    failed_message = "Shopify simulator failed on %s %s"
    failed_answer = json_answer(500, {"errors": "simulator error"})

    def serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 <= length <= MAX_BODY or "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                raise ValueError(length)
        except ValueError:
            self.close_connection = True
            self.send_error(400, "A Content-Length up to 32 MiB is required")
            return
        body = self.rfile.read(length) if length else b""
        answer = self.app_answer(body)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.stream is None:
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        else:
            self._stream(answer)

    def _stream(self, answer: Answer) -> None:
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        write = self.wfile.write
        for chunk in answer.stream:
            if chunk:
                write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        write(b"0\r\n\r\n")


class ShopifySimulator(ThreadedSimulator):
    """Shopify over real HTTP (SHOPIFY.md). Options: SimulatorConfig fields, as a config or keywords.

    `with ShopifySimulator(api_secret="s") as sim:` starts it on a free port in a background thread; point
    `SHOPIFY_ADMIN_BASE` at `sim.admin_base` (`http://127.0.0.1:PORT/{shop}`). `stop()` also ends the webhook
    thread; queued webhooks are dropped.
    """

    config_class = SimulatorConfig
    app_class = SimulatorApp
    handler = _Handler
    thread_name = "shopify-simulator"
    app: SimulatorApp

    def background(self) -> WebhookDispatcher:
        return self.app.webhooks

    @property
    def admin_base(self) -> str:
        """The value of SHOPIFY_ADMIN_BASE that sends every shop's calls here."""
        return self.base_url + "/{shop}"

    def app_settings(self, *, app_url: str = "https://app.example") -> dict[str, str]:
        """The Django settings that make this process's Shopify edge talk to this simulator as its app."""
        return {"SHOPIFY_ADMIN_BASE": self.admin_base, "SHOPIFY_API_KEY": self.config.api_key or "sim-client-id",
                "SHOPIFY_API_SECRET": self.config.api_secret, "SHOPIFY_APP_URL": app_url}

    def create_shop(self, shop: str, *, customers: int = 0, no_phone_every: int = 10, token: bool = False,
                    development: bool = False) -> dict:
        """A shop with `customers` generated customers; with `token`, installed and its access token issued;
        with `development`, a development store."""
        return create_shop(self.app, {"shop": shop, "customers": customers, "no_phone_every": no_phone_every,
                                      "token": token, "development": development})

    def shop(self, domain: str) -> Shop | None:
        return self.app.store.shop(domain)

    def calls(self) -> list[CallRecord]:
        return self.app.store.call_records()

    def deliveries(self) -> list[dict]:
        return deliveries(self.app)

    def stats(self) -> dict[str, Any]:
        return stats(self.app)

    def flush_webhooks(self) -> int:
        """Deliver every queued webhook now (retries included); how many were taken."""
        return self.app.webhooks.flush()

    def reset(self) -> None:
        self.app.reset()
