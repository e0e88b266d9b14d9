"""The plumbing both simulators share, driven through a tiny simulator over real HTTP: its server, start and
stop in a thread (kept-alive connections ended), option updates and the command's flags."""

import argparse
import http.client
import logging
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from config import simulators
from config.simulators import (
    SimulatorHandler,
    SimulatorOptions,
    ThreadedSimulator,
    add_option_arguments,
    given_options,
    option,
    serve_until_interrupted,
)

logger = logging.getLogger("config.tests.tiny_simulator")


@dataclass(frozen=True)
class TinyOptions(SimulatorOptions):
    greeting: str | None = option(None, "what GET answers")
    loud: bool = option(False, "answer in capitals")
    seed: int | None = option(None, "unused")

    @staticmethod
    def coerce(kind: Any, value: Any, name: str) -> Any:
        if kind is bool:
            return value in (True, "true")
        return value


class TinyBackground:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")


class TinyApp:
    def __init__(self, config: TinyOptions) -> None:
        self.config = config
        self.background = TinyBackground()

    def configure(self, opts: dict[str, Any]) -> TinyOptions:
        self.config = self.config.updated(opts)
        return self.config

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> bytes:
        if path == "/fail":
            raise RuntimeError("a simulator bug")
        text = f"{method} {path} {self.config.greeting} {body.decode()}"
        return (text.upper() if self.config.loud else text).encode()


class TinyHandler(SimulatorHandler):
    server_version = "Tiny/1.0"
    logger = logger
    failed_message = "tiny simulator failed on %s %s"
    failed_answer = b"broken"

    def serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        answer = self.app_answer(self.rfile.read(length) if length else b"")
        self.send_response(500 if answer == self.failed_answer else 200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class TinySimulator(ThreadedSimulator):
    config_class = TinyOptions
    app_class = TinyApp
    handler = TinyHandler
    thread_name = "tiny-simulator"

    def background(self) -> TinyBackground:
        return self.app.background


def test_serves_the_app_over_http_and_starts_and_stops_its_background():
    simulator = TinySimulator(greeting="hi")
    with simulator as sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert requests.get(sim.base_url + "/a", timeout=5).text == "GET /a hi "
        assert requests.post(sim.base_url + "/b", data=b"x", timeout=5).text == "POST /b hi x"
        assert sim.app.background.calls == ["start"]
        with pytest.raises(RuntimeError, match="already started"):
            sim.start()
    assert simulator.app.background.calls == ["start", "stop"]
    with pytest.raises(RuntimeError, match="not started"):
        simulator.base_url  # noqa: B018 (the property is what is tested)


def test_stop_ends_a_kept_alive_connection():
    with TinySimulator() as sim:
        connection = http.client.HTTPConnection(sim.base_url.removeprefix("http://"), timeout=10)
        connection.request("GET", "/kept")
        assert connection.getresponse().read() == b"GET /kept None "
        sim.stop()
        assert connection.sock.recv(1) == b""  # the server ended the kept-alive connection
        connection.close()


def test_an_app_failure_is_answered_and_logged_not_a_dropped_connection(caplog):
    with TinySimulator() as sim, caplog.at_level(logging.ERROR, logger=logger.name):
        answer = requests.get(sim.base_url + "/fail", timeout=5)
    assert (answer.status_code, answer.content) == (500, b"broken")
    assert [record.getMessage() for record in caplog.records] == ["tiny simulator failed on GET /fail"]


def test_options_change_at_run_time_except_where_it_listens():
    with TinySimulator(greeting="hi") as sim:
        assert sim.configure(loud="true").loud is True
        assert requests.get(sim.base_url + "/a", timeout=5).text == "GET /A HI "
        for name in ("host", "port", "seed"):
            with pytest.raises(ValueError, match=f"option '{name}' can only be set at start"):
                sim.configure(**{name: "1"})
        with pytest.raises(ValueError, match="unknown option 'colour'"):
            sim.configure(colour="red")
        assert sim.config == TinyOptions(greeting="hi", loud=True)
    assert TinySimulator(port=0, seed="3").config.seed == "3"


def test_the_command_flags_are_the_options_and_only_given_ones_are_passed_on():
    parser = argparse.ArgumentParser()
    add_option_arguments(parser, TinyOptions, 9000)

    assert "(default: 9000)" in parser.format_help()
    assert given_options(vars(parser.parse_args([])), TinyOptions, 9000) == {"port": 9000}
    assert given_options(vars(parser.parse_args(["--no-loud", "--greeting", "yo", "--port", "0"])),
                         TinyOptions, 9000) == {"loud": False, "greeting": "yo", "port": "0"}


def test_serve_until_interrupted_stops_the_simulator_on_ctrl_c(monkeypatch):
    class Interrupted:
        def wait(self) -> None:
            raise KeyboardInterrupt

    stopped, written = [], []
    monkeypatch.setattr(simulators, "threading", SimpleNamespace(Event=Interrupted))

    serve_until_interrupted(SimpleNamespace(stop=lambda: stopped.append(True)), written.append)

    assert (stopped, written) == ([True], ["stopping"])
