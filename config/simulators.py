"""What the Mitto and Shopify simulators share: a threaded HTTP/1.1 server that can end its kept-alive
connections, the start/stop of that server in a background thread, run-time option updates and the
management command's flags. Each simulator keeps its own handler body, options and answers.

It lives in `config`, which both edges (`messaging`, `shopify`) may import, rather than in one edge that the
other would then depend on.
"""

import argparse
import contextlib
import dataclasses
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Protocol, Self

STARTUP_ONLY = ("host", "port", "seed")


def option(default: Any, help_text: str) -> Any:
    """A field of a simulator's options dataclass; `help_text` becomes its command flag's help."""
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class SimulatorOptions:
    """Base of a simulator's frozen options dataclass: where it listens, `updated` and `as_dict`.

    A subclass adds its options (after these) and `coerce(kind, value, name)`, a staticmethod turning one
    given value into the option's type `kind` (ValueError naming the option).
    """

    host: str = option("127.0.0.1", "address to listen on")
    port: int = option(0, "port to listen on (0: any free port)")

    coerce: ClassVar[Callable[[Any, Any, str], Any]]

    def updated(self, opts: dict[str, Any], *, runtime: bool = True) -> Self:
        """A copy with `opts` applied, each value checked and converted to the option's type."""
        known = {item.name: item for item in dataclasses.fields(self)}
        changes = {}
        for name, value in opts.items():
            if name not in known:
                raise ValueError(f"unknown option {name!r}")
            if runtime and name in STARTUP_ONLY:
                raise ValueError(f"option {name!r} can only be set at start")
            changes[name] = self.coerce(known[name].type, value, name)
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class SimulatorHandler(BaseHTTPRequestHandler):
    """A keep-alive connection of a simulator: registered with its server while open, every GET and POST
    answered by `serve()`. A subclass sets `server_version`, `logger`, `failed_message` (logged when the app
    fails on a request: "... failed on %s %s", method and path), `failed_answer` (then answered) and `serve`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 120  # an idle keep-alive connection is closed after this many seconds
    logger: ClassVar[logging.Logger]
    failed_message: ClassVar[str]
    failed_answer: ClassVar[Any]
    server: "SimulatorServer"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        self.logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def serve(self) -> None:
        raise NotImplementedError

    def app_answer(self, body: bytes) -> Any:
        """The app's answer to this request, `failed_answer` if the app fails on it."""
        try:
            return self.server.app.handle(self.command, self.path, self.headers, body)
        except Exception:  # a simulator bug must show as a 500, not kill the connection silently
            self.logger.exception(self.failed_message, self.command, self.path)
            return self.failed_answer


class SimulatorServer(ThreadingHTTPServer):
    """A thread per connection, `app` reachable from the handler, and the open connections known so that
    `close_connections` can end the kept-alive ones."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Any, handler: type[SimulatorHandler]) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

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


class Background(Protocol):
    """The app's own sender thread (delivery reports, webhooks), started and stopped with the server."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class ThreadedSimulator:
    """A simulator served from a background thread: `with Sub(config, **opts) as sim:` starts it on
    `config.host:config.port` (port 0: any free one, `sim.base_url`) and stops it on leaving.

    A subclass sets `config_class` (a SimulatorOptions dataclass), `app_class` (built from the options;
    it has `config`, `configure(opts)` and `handle(...)`), `handler`, `thread_name` and `background()`.
    """

    config_class: ClassVar[type]
    app_class: ClassVar[type]
    handler: ClassVar[type[SimulatorHandler]]
    thread_name: ClassVar[str]

    def __init__(self, config: Any = None, **opts: Any) -> None:
        config = config or self.config_class()
        self.app = self.app_class(config.updated(opts, runtime=False) if opts else config)
        self._server: SimulatorServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def background(self) -> Background:
        raise NotImplementedError

    @property
    def config(self) -> Any:
        return self.app.config

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.server_address[:2]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the simulator is already started")
        self._server = SimulatorServer((self.config.host, self.config.port), self.app, self.handler)
        self.background().start()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering, end open connections and the background thread (what it still held is dropped)."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.close_connections()
        server.server_close()
        self.background().stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def configure(self, **opts: Any) -> Any:
        """Change options at run time (any option but host, port and seed)."""
        return self.app.configure(opts)


def add_option_arguments(parser: argparse.ArgumentParser, config_class: type, default_port: int) -> None:
    """A flag per option of `config_class` (`--dlr-url`; `--x/--no-x` for a bool), each defaulting to None
    so that only the options given are passed on; the help names the default (`default_port` for --port)."""
    for item in dataclasses.fields(config_class):
        flag = "--" + item.name.replace("_", "-")
        default = default_port if item.name == "port" else item.default
        help_text = f"{item.metadata['help']} (default: {default})"
        if item.type is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, default=None, help=help_text)


def given_options(options: dict[str, Any], config_class: type, default_port: int) -> dict[str, Any]:
    """The options the command line gave (as parsed by `add_option_arguments`), the port defaulting."""
    opts = {item.name: options[item.name] for item in dataclasses.fields(config_class)
            if options.get(item.name) is not None}
    opts.setdefault("port", default_port)
    return opts


def serve_until_interrupted(simulator: ThreadedSimulator, write: Callable[[str], Any]) -> None:
    """Keep the started `simulator` answering until ^C, then stop it."""
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        write("stopping")
    finally:
        simulator.stop()
