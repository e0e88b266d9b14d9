import subprocess
import sys

from campaigns.tests.support.celery_processes import ROOT, worker_env
from config.celery import PERIODIC, periodic_every_s, periodic_lock_ttl_s

SCHEDULE = """
import django
django.setup()
from config.celery import app
print(app.conf.beat_schedule["campaigns.recover_batches"]["schedule"])
"""


def beat_schedule_with(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCHEDULE], cwd=ROOT, env=worker_env(**env), capture_output=True,
                          text=True, timeout=60)


def test_beat_interval_scale_scales_every_periodic_task_and_its_lock(settings):
    settings.BEAT_INTERVAL_SCALE = 0.1
    assert periodic_every_s("campaigns.recover_batches") == 3.0
    assert periodic_lock_ttl_s("campaigns.recover_batches") == 6
    assert periodic_lock_ttl_s("campaigns.start_scheduled") == 3
    assert all(periodic_lock_ttl_s(name) >= 2 for name, _ in PERIODIC)
    assert beat_schedule_with(BEAT_INTERVAL_SCALE="0.1").stdout.strip() == "3.0"
    assert beat_schedule_with().stdout.strip() == "30.0"


def test_a_bad_beat_interval_scale_stops_start_up_naming_it():
    for bad in ("0", "-1", "abc", "nan"):
        result = beat_schedule_with(BEAT_INTERVAL_SCALE=bad)
        assert result.returncode != 0 and "BEAT_INTERVAL_SCALE" in result.stderr, (bad, result.stderr[-500:])
