"""Workers on several hosts (`make scale`): `python -m bench.scale_out` runs its 100,000-recipient send over three
network namespaces with one worker killed mid-send, and must end with every one of its checks holding and nothing
of it left on the machine (namespaces, links, processes, database). Needs root to make namespaces; skipped (naming
why) where it cannot."""

import os
import subprocess
import sys

import psycopg
import pytest

from bench import netns
from bench.env import ROOT
from bench.tests.test_bench_smoke import _running_with


@pytest.mark.system
@pytest.mark.slow
@pytest.mark.e2e
def test_workers_on_three_hosts_send_each_message_once_within_the_limits():
    unavailable = netns.available()
    if unavailable:
        pytest.skip(f"network namespaces: {unavailable}")
    proc = subprocess.Popen([sys.executable, "-m", "bench.scale_out", "--recipients", "100000", "--hosts", "3"],
                            cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate(timeout=600)

    assert proc.returncode == 0, stdout + stderr[-6000:]
    assert "FAIL" not in stdout
    for check in ("no destination messaged twice", "each recipient counted sent got exactly one message",
                  "per shop ≤", "per traffic account ≤", "a worker died mid-send", "both campaigns completed"):
        assert f"ok   {check}" in stdout, stdout
    assert netns.Hosts(f"ssms{proc.pid}").left_behind() == []
    assert _running_with(f"scale{proc.pid}") == []
    with psycopg.connect(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"shopsms_scale_{proc.pid}"]).fetchall()
    assert left == []
