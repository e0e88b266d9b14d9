"""The benchmark harness runs every bench end to end at a small size, so it cannot rot. No timing is asserted:
only that each figure was measured beside its baseline and that the harness left nothing behind."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench.__main__ import FIGURES
from bench.env import ROOT

SIZE = 3000
NAIVE_SIZE = 1000  # the naive design sends a message per task: a few hundred a second at best


def _running_with(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(cmdline)
    return found


@pytest.mark.slow
@pytest.mark.e2e
def test_harness_measures_every_figure_and_cleans_up(tmp_path):
    output = tmp_path / "results.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "--size", str(SIZE), "--naive-size", str(NAIVE_SIZE), "--duration", "1",
         "--output", str(output)],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stdout, stderr = proc.communicate(timeout=600)

    assert proc.returncode == 0, stderr[-6000:]
    results = json.loads(output.read_text())
    assert results["errors"] == {}
    assert results["size"] == SIZE
    assert set(results["figures"]) == {key for keys in FIGURES.values() for key in keys}
    for key, figure in results["figures"].items():
        assert figure["value"] > 0, key
        assert figure["baseline"] is not None and figure["baseline"] > 0, key
        assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline"]), key
        assert figure["work"] in stdout, key
    assert {"nproc", "memory_mb", "postgresql", "redis", "python", "date"} <= set(results["machine"])
    with psycopg.connect(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"shopsms_bench_{proc.pid}"]).fetchall()
    assert left == []
    assert _running_with(f"bench{proc.pid}@") == []
