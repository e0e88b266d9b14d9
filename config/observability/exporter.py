"""`/metrics` of a host that runs no web process (a worker-only host): served by the Celery worker's main
process on METRICS_PORT, from the host's PROMETHEUS_MULTIPROC_DIR, with the same access rule as the web's
`/metrics` (METRICS_TOKEN, else loopback only).

A small WSGI server in a daemon thread: one scrape at a time is all Prometheus asks of it.
"""

import json
import logging
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from config.observability.endpoint import refusal, scrape_registry

logger = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 — the base class's signature
        pass


def metrics_app(token: str):
    """The WSGI app answering `GET /metrics` (anything else 404), refusing as the web's view does."""

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(start_response, 404, "application/json",
                           json.dumps({"ok": False, "reason": "not_found", "detail": "Only GET /metrics."}))
        refused = refusal(environ, token)
        if refused is not None:
            status, reason, detail = refused
            return _answer(start_response, status, "application/json",
                           json.dumps({"ok": False, "reason": reason, "detail": detail}))
        return _answer(start_response, 200, CONTENT_TYPE_LATEST, generate_latest(scrape_registry()))

    return app


def _answer(start_response, status: int, content_type: str, body: str | bytes):
    body = body.encode() if isinstance(body, str) else body
    phrase = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}[status]
    start_response(f"{status} {phrase}", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def serve_in_thread(*, addr: str, port: int, token: str):
    """Start serving `/metrics` on addr:port in a daemon thread; returns the server (`.shutdown()` ends it)."""
    server = make_server(addr, port, metrics_app(token), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    logger.info("serving /metrics on %s:%s", addr, server.server_port)
    return server
