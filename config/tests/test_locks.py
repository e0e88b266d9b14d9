import subprocess
import sys
import time

from campaigns.tests.support.celery_processes import ROOT, worker_env
from campaigns.tests.support.reliability_helpers import wait_until
from config.locks import single_instance

HOLD = """
import time, django
django.setup()
from config.locks import single_instance
with single_instance("crash", ttl_s=2) as mine:
    print(mine, flush=True)
    time.sleep(60)
"""


def test_a_second_holder_is_refused_until_the_first_releases():
    with single_instance("job") as first, single_instance("job") as second:
        assert (first, second) == (True, False)
    with single_instance("job") as again:
        assert again is True


def free(name: str) -> bool:
    with single_instance(name) as acquired:
        return acquired


def test_a_running_holder_keeps_its_lock_and_a_killed_one_loses_it():
    """The holder renews the lock past its ttl while it runs; once SIGKILLed, the lock expires within the ttl
    (a periodic task's worker killed mid-run does not block that task for good)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD], cwd=ROOT, env=worker_env(), stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"True"
        time.sleep(3)  # longer than the ttl
        assert not free("crash")
    finally:
        holder.kill()
        holder.wait(10)
    wait_until(lambda: free("crash"), timeout_s=10, what="the killed holder's lock to expire")
