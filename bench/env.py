"""The bench's own world: a PostgreSQL database and a Redis key prefix of its own, and the process environment.

Nothing here touches another run's data: the database is `shopsms_bench_<pid>` and every Redis key and Celery
queue carries the prefix `bench<pid>`.
"""

import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "bench-webhook-secret"
MITTO_KEY = "bench-mitto-key"
TRAFFIC_ACCOUNT = "e8a5e53f-2f0c-4d4b-9a53-3b0d6c1a2f10"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@dataclass
class BenchEnv:
    """Where the bench's data lives, and the environment every process it starts gets."""

    server_url: str = field(default_factory=lambda: os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    db_name: str = field(default_factory=lambda: f"shopsms_bench_{os.getpid()}")
    prefix: str = field(default_factory=lambda: f"bench{os.getpid()}")

    @property
    def database_url(self) -> str:
        return _with_database(self.server_url, self.db_name)

    def variables(self, **extra: str) -> dict[str, str]:
        """The variables of API.md for a bench process; `extra` adds or overrides (e.g. MITTO_API_BASE)."""
        values = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "SMS_KEY_PREFIX": self.prefix,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-key-never-in-production-" + "b" * 32,
            "MITTO_API_KEY": MITTO_KEY,
            "MITTO_TRAFFIC_ACCOUNT_ID": TRAFFIC_ACCOUNT,
            "MITTO_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "MITTO_SENDER": "BenchShop",
            "STATUS_CACHE_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
        }
        values.update(extra)
        return values

    def process_env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **self.variables(**extra)}

    def create(self) -> None:
        """Create the database and migrate it with the project's own `manage.py migrate`."""
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=ROOT, env=self.process_env(), check=True,
        )
        # A prefix the limiter never saw starts with a quiet window (messaging.ratelimit's guard) unless told
        # its windows are empty on purpose, as reset() does; the send figures must not carry that pause.
        redis.Redis.from_url(self.redis_url).set(f"{self.prefix}:rl:guard", 0)

    def drop(self) -> None:
        """Drop the database (closing any connection left on it) and every Redis key of the prefix."""
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self.purge_redis()

    def purge_redis(self, pattern: str = "*") -> int:
        client = redis.Redis.from_url(self.redis_url)
        keys = list(client.scan_iter(f"{self.prefix}:{pattern}", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)

    def purge_queues(self) -> int:
        """Drop every message waiting in this run's Celery queues (lists named `<prefix>:<prefix>.<queue>…`)."""
        return self.purge_redis(f"{self.prefix}.*") + self.purge_redis("unacked*")

    def activate(self) -> None:
        """Point this process's Django at the bench database and settings, then set Django up."""
        os.environ.update(self.variables())
        import django

        django.setup()


def machine_facts(env: BenchEnv) -> dict:
    """What the figures were measured on."""
    with psycopg.connect(env.server_url) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = redis.Redis.from_url(env.redis_url).info("server")["redis_version"]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "memory_mb": _memory_mb(),
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "redis": redis_version,
        "load_average_at_start": load_average(),
    }


def load_average() -> float | None:
    """The 1-minute load average: other work on this machine competes with the processes measured."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
