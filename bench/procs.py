"""The processes a bench measures, each in its own process group so that stopping it stops all its children."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.env import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """One started process group; its output goes to a log file that is shown when it fails."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], stop_signal: int = signal.SIGTERM):
        self.name = name
        self.stop_signal = stop_signal
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.popen = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        text = Path(self.log.name).read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout_s: float = 10.0) -> None:
        """Signal the whole group (TERM unless told), KILL it if it has not gone within the timeout."""
        if self.alive():
            self._signal(self.stop_signal)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.popen.wait(timeout_s)
        self._signal(signal.SIGKILL)  # stray children of a group leader that exited
        self.log.close()
        os.unlink(self.log.name)

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)


class Processes:
    """Every process the harness started; `stop_all` runs in a `finally` and on SIGTERM/SIGINT."""

    def __init__(self):
        self.procs: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], stop_signal: int = signal.SIGTERM) -> Proc:
        proc = Proc(name, argv, env, stop_signal)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc) -> None:
        if proc in self.procs:
            self.procs.remove(proc)
        proc.stop()

    def stop_all(self) -> None:
        while self.procs:
            self.stop(self.procs[-1])


def wait_http(proc: Proc, url: str, timeout_s: float = 60.0) -> None:
    """Wait until `url` answers at all (any status); fail with the process's log if it dies or never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{proc.name} did not answer {url} within {timeout_s:.0f} s:\n{proc.tail()}")


def children(pid: int) -> list[int]:
    """Direct children of `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of one process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]
