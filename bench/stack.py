"""Starting the processes under measurement: the Mitto simulator over HTTP, a Celery worker pool, gunicorn."""

import signal
import sys
import time
from pathlib import Path

from bench.env import MITTO_KEY, BenchEnv
from bench.procs import Proc, Processes, children, free_port, python_argv, wait_http

WORKER_PROCESSES = 2
WEB_WORKERS = 2


class Stack:
    """The processes of one bench phase; `close()` stops every one of them."""

    def __init__(self, env: BenchEnv, profile_dir: Path | None = None, label: str = ""):
        self.env = env
        self.profile_dir = profile_dir
        self.label = label
        self.procs = Processes()
        self.simulator_url = ""
        self.web_url = ""
        self.worker: Proc | None = None

    def simulator(self, *, delay_ms: int = 0) -> str:
        """Start the project's Mitto simulator on a free port, answering after `delay_ms`; return its base URL."""
        port = free_port()
        proc = self.procs.start(
            "simulator",
            python_argv("manage.py", "mitto_simulator", "--port", str(port), "--delay-ms", str(delay_ms),
                        "--api-key", MITTO_KEY),
            self.env.process_env(),
        )
        self.simulator_url = f"http://127.0.0.1:{port}"
        wait_http(proc, f"{self.simulator_url}/_sim/stats")
        return self.simulator_url

    def celery_worker(self, *, include: str = "", **env: str) -> Proc:
        """A worker with WORKER_PROCESSES prefork processes on all three queues, pointed at the simulator;
        `include` names a further task module (bench-only tasks), `env` adds environment variables."""
        prefix = self.env.prefix
        queues = ",".join(f"{prefix}.{name}" for name in ("send", "reports", "periodic"))
        self.worker = self.procs.start(
            "worker",
            python_argv("-m", "celery", "-A", "config", "worker", "--pool", "prefork",
                        "--concurrency", str(WORKER_PROCESSES), "--queues", queues, "--loglevel", "WARNING",
                        "--without-gossip", "--without-mingle", "--hostname", f"{prefix}@%h",
                        *(("--include", include) if include else ())),
            self.env.process_env(MITTO_API_BASE=self.simulator_url or "http://127.0.0.1:9", **env),
        )
        _wait_worker(self.worker)
        self._profile(self.worker, "worker")
        return self.worker

    def gunicorn(self) -> str:
        """gunicorn with WEB_WORKERS sync workers serving bench.settings (the product plus the bare views)."""
        port = free_port()
        proc = self.procs.start(
            "gunicorn",
            python_argv("-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                        "--workers", str(WEB_WORKERS), "--timeout", "300", "--backlog", "2048"),
            self.env.process_env(MITTO_API_BASE=self.simulator_url or "http://127.0.0.1:9"),
        )
        self.web_url = f"http://127.0.0.1:{port}"
        wait_http(proc, f"{self.web_url}/healthz")
        self._profile(proc, "gunicorn")
        return self.web_url

    def _profile(self, proc: Proc, name: str) -> None:
        """With a profile directory, sample the process and its children with py-spy (collapsed stacks)."""
        if self.profile_dir is None:
            return
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        out = self.profile_dir / f"{self.label or 'bench'}-{name}.txt"
        self.procs.start(f"py-spy-{name}", [_py_spy(), "record", "--pid", str(proc.pid), "--subprocesses",
                                             "--format", "raw", "--rate", "200", "--output", str(out)],
                         self.env.process_env(), stop_signal=signal.SIGINT)

    def stop(self, proc: Proc | None) -> None:
        if proc is not None:
            self.procs.stop(proc)

    def close(self) -> None:
        self.procs.stop_all()


def _py_spy() -> str:
    beside_python = Path(sys.executable).with_name("py-spy")
    return str(beside_python) if beside_python.exists() else "py-spy"


def _wait_worker(proc: Proc, timeout_s: float = 60.0) -> None:
    """Wait until the worker's pool processes exist and it answers a control ping (it consumes its queues)."""
    from config.celery import app

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"worker exited with {proc.popen.returncode}:\n{proc.tail()}")
        if len(children(proc.pid)) >= WORKER_PROCESSES and app.control.ping(timeout=0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"worker not ready within {timeout_s:.0f} s:\n{proc.tail()}")
