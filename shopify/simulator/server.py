"""The Shopify simulator as a real HTTP/1.1 server (keep-alive, a thread per connection, chunked streaming
for the bulk JSON Lines) and its Python API for tests."""

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shopify.simulator.answers import Answer, json_answer
from shopify.simulator.app import SimulatorApp
from shopify.simulator.config import SimulatorConfig
from shopify.simulator.control import create_shop, deliveries, stats
from shopify.simulator.store import CallRecord, Shop

logger = logging.getLogger("shopify.simulator")
MAX_BODY = 32 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ShopifySimulator/1.0"
    disable_nagle_algorithm = True
    timeout = 120

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 <= length <= MAX_BODY or "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                raise ValueError(length)
        except ValueError:
            self.close_connection = True
            self.send_error(400, "A Content-Length up to 32 MiB is required")
            return
        body = self.rfile.read(length) if length else b""
        try:
            answer = self.server.app.handle(self.command, self.path, self.headers, body)
        except Exception:  # a simulator bug must show as a 500, not kill the connection silently
            logger.exception("Shopify simulator failed on %s %s", self.command, self.path)
            answer = json_answer(500, {"errors": "simulator error"})
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SimulatorApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class ShopifySimulator:
    """Shopify over real HTTP (SHOPIFY.md). Options: SimulatorConfig fields, as a config or keywords.

    `with ShopifySimulator(api_secret="s") as sim:` starts it on a free port in a background thread; point
    `SHOPIFY_ADMIN_BASE` at `sim.admin_base` (`http://127.0.0.1:PORT/{shop}`).
    """

    def __init__(self, config: SimulatorConfig | None = None, **opts: Any) -> None:
        config = config or SimulatorConfig()
        self.app = SimulatorApp(config.updated(opts, runtime=False) if opts else config)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "ShopifySimulator":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def config(self) -> SimulatorConfig:
        return self.app.config

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.server_address[:2]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{port}"

    @property
    def admin_base(self) -> str:
        """The value of SHOPIFY_ADMIN_BASE that sends every shop's calls here."""
        return self.base_url + "/{shop}"

    def app_settings(self, *, app_url: str = "https://app.example") -> dict[str, str]:
        """The Django settings that make this process's Shopify edge talk to this simulator as its app."""
        return {"SHOPIFY_ADMIN_BASE": self.admin_base, "SHOPIFY_API_KEY": self.config.api_key or "sim-client-id",
                "SHOPIFY_API_SECRET": self.config.api_secret, "SHOPIFY_APP_URL": app_url}

    def start(self) -> "ShopifySimulator":
        if self._server is not None:
            raise RuntimeError("the simulator is already started")
        self._server = _Server((self.config.host, self.config.port), self.app)
        self.app.webhooks.start()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="shopify-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering, end open connections and the webhook thread. Queued webhooks are dropped."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.close_connections()
        server.server_close()
        self.app.webhooks.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def configure(self, **opts: Any) -> SimulatorConfig:
        """Change options at run time (any option but host, port and seed)."""
        return self.app.configure(opts)

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
