"""The simulator as a real HTTP/1.1 server (keep-alive, one thread per connection) and its Python API."""

import logging
from collections import Counter
from typing import Any

from config.simulators import SimulatorHandler, ThreadedSimulator
from messaging.simulator.app import DROP, Answer, SimulatorApp
from messaging.simulator.config import SimulatorConfig
from messaging.simulator.reports import ReportDispatcher
from messaging.simulator.store import AcceptedMessage, RequestRecord

logger = logging.getLogger("messaging.simulator")


class _Handler(SimulatorHandler):
    server_version = "MittoSimulator/1.1"
    logger = logger
    failed_message = "Mitto simulator failed on %s %s"
    failed_answer = Answer(500, b'{"description":"simulator error"}')

    def serve(self) -> None:
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
        answer = self.app_answer(body)
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


class MittoSimulator(ThreadedSimulator):
    """A Mitto stand-in over real HTTP (MITTO.md). Options: SimulatorConfig fields, as a config or keywords.

    `with MittoSimulator(api_key="k") as sim:` starts it on a free port (`sim.base_url`) in a background
    thread; everything it accepted and every request it saw can be read back from Python or over HTTP.
    `stop()` also ends the report thread; unsent reports are dropped.
    """

    config_class = SimulatorConfig
    app_class = SimulatorApp
    handler = _Handler
    thread_name = "mitto-simulator"
    app: SimulatorApp

    def background(self) -> ReportDispatcher:
        return self.app.reports

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
