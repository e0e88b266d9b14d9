"""The simulator as a real HTTP/1.1 server (keep-alive, one thread per connection) and its Python API."""

import contextlib
import logging
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from messaging.simulator.app import DROP, Answer, SimulatorApp
from messaging.simulator.config import SimulatorConfig
from messaging.simulator.store import AcceptedMessage, RequestRecord

logger = logging.getLogger("messaging.simulator")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MittoSimulator/1.1"
    disable_nagle_algorithm = True
    timeout = 120  # an idle keep-alive connection is closed after this many seconds

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
            if length < 0:
                raise ValueError(length)
        except ValueError:
            self.close_connection = True
            self.send_error(400, "Bad Content-Length")
            return
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self.send_error(411, "Content-Length required")
            return
        body = self.rfile.read(length) if length else b""
        try:
            answer = self.server.app.handle(self.command, self.path, self.headers, body)
        except Exception:  # a simulator bug must show as a 500, not kill the connection silently
            logger.exception("Mitto simulator failed on %s %s", self.command, self.path)
            answer = Answer(500, b'{"description":"simulator error"}')
        if answer is DROP:
            self.close_connection = True
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)


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
        """End kept-alive connections, so no handler thread keeps answering after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class MittoSimulator:
    """A Mitto stand-in over real HTTP (MITTO.md). Options: SimulatorConfig fields, as a config or keywords.

    `with MittoSimulator(api_key="k") as sim:` starts it on a free port (`sim.base_url`) in a background
    thread; everything it accepted and every request it saw can be read back from Python or over HTTP.
    """

    def __init__(self, config: SimulatorConfig | None = None, **opts: Any) -> None:
        config = config or SimulatorConfig()
        self.app = SimulatorApp(config.updated(opts, runtime=False) if opts else config)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "MittoSimulator":
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

    def start(self) -> "MittoSimulator":
        if self._server is not None:
            raise RuntimeError("the simulator is already started")
        self._server = _Server((self.config.host, self.config.port), self.app)
        self.app.reports.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="mitto-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering, end open connections and the report thread. Unsent reports are dropped."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.close_connections()
        server.server_close()
        self.app.reports.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def configure(self, **opts: Any) -> SimulatorConfig:
        """Change options at run time (any option but host, port and seed)."""
        return self.app.configure(opts)

    def accepted(self) -> list[AcceptedMessage]:
        return self.app.store.accepted()

    def destination_counts(self) -> Counter:
        return self.app.store.destination_counts()

    def requests(self) -> list[RequestRecord]:
        return self.app.store.requests()

    def stats(self) -> dict[str, Any]:
        return self.app.stats()

    def reset(self) -> None:
        """Forget accepted messages, requests and pending reports (options stay)."""
        self.app.reset()

    def flush_reports(self) -> int:
        """Post every pending delivery report now; how many messages were reported."""
        return self.app.reports.flush()

    def pending_reports(self) -> int:
        return self.app.reports.pending()
