"""A real `celery -A config worker` (or `beat`) in a subprocess, pointed at this process's database, Redis
prefix and queues: the system tests' worker and beat (on the test database). Each runs in a process group of
its own, so `kill()` ends the worker and its pool children together (SIGKILL by default, as a crash would).
And `point_celery_at`, which moves this process's publishing to another broker."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import kombu.pools
from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(settings.BASE_DIR)


def database_url() -> str:
    """The URL of the database this process uses (under pytest: the test database, not the configured one)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SMS_KEY_PREFIX": settings.SMS_KEY_PREFIX,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MITTO_API_KEY": settings.MITTO_API_KEY,
        "MITTO_TRAFFIC_ACCOUNT_ID": settings.MITTO_TRAFFIC_ACCOUNT_ID,
        "SMS_BATCH_SIZE": str(settings.SMS_BATCH_SIZE),
        "QUEUE_ATTEMPTS": str(settings.QUEUE_ATTEMPTS),
        "SEND_WINDOW_BATCHES": str(settings.SEND_WINDOW_BATCHES),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


class _CeleryProcess:
    """A `celery -A config …` subprocess in a process group of its own, its output in a log file;
    `start()` returns once the output shows `ready_marker`."""

    ready_marker = b""

    def __init__(self, **env: str):
        self.env = worker_env(**env)
        self.log = Path(tempfile.mkstemp(prefix=f"celery-{type(self).__name__.lower()}-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout_s: float = 30):
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *self.command()],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while self.ready_marker not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.command()[0]} did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-20000:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process's whole group (for a worker: the main process and its pool children)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def stop(self, timeout_s: float = 10) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL if it does not end in time."""
        if self.process is None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.process.wait(timeout_s)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # pool children a killed parent left behind


class CeleryWorker(_CeleryProcess):
    """`start()` returns once the worker is ready to consume; `kill()`/`stop()` end it."""

    ready_marker = b" ready."

    def __init__(self, *, concurrency: int = 2, queues: tuple[str, ...] | None = None, **env: str):
        super().__init__(**env)
        self.name = f"e2e-{uuid.uuid4().hex[:8]}@%h"
        self.queues = queues or (settings.CELERY_QUEUE_SEND, settings.CELERY_QUEUE_PERIODIC)
        self.concurrency = concurrency

    def command(self) -> list[str]:
        return [
            "worker", "--pool", "prefork", "--concurrency", str(self.concurrency), "--queues", ",".join(self.queues),
            "--hostname", self.name, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat",
        ]


class CeleryBeat(_CeleryProcess):
    """`celery -A config beat` with its schedule file in a directory of its own (a fresh one starts every
    periodic task's interval from its start); `start()` returns once beat is ticking."""

    ready_marker = b"beat: Starting..."

    def __init__(self, **env: str):
        super().__init__(**env)
        self.schedule = Path(tempfile.mkdtemp(prefix="celery-beat-")) / "schedule"

    def command(self) -> list[str]:
        return ["beat", "--schedule", str(self.schedule), "--loglevel", "INFO"]

    def stop(self, timeout_s: float = 10) -> None:
        super().stop(timeout_s)
        shutil.rmtree(self.schedule.parent, ignore_errors=True)


def point_celery_at(url: str | None) -> None:
    """This process's Celery app publishes to `url` from now on: the broker URL changed, and every kombu
    connection and producer pool of the process closed and forgotten (kombu keeps them in a registry by
    URL; a closed one left there would be handed out again), so they are made again on next use."""
    app.conf.broker_url = url
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
