"""Long-running processes freeze their start-up objects out of the collector's walks (config/runtime.py): each
Celery pool process when it starts, each web process once the WSGI app and its URLconf are loaded."""

import gc
import subprocess
import sys

import pytest
from celery import signals


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_pool_process_freezes_what_start_up_left(unfrozen):
    assert gc.get_freeze_count() == 0
    signals.worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 10_000


def test_the_web_process_freezes_after_loading_the_app_and_every_view():
    code = ("import gc, sys, config.wsgi; "
            "print(gc.get_freeze_count(), 'campaigns.api.views_sending' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"DJANGO_SETTINGS_MODULE": "config.test_settings", "PATH": "/usr/bin:/bin"}).stdout
    frozen, views_loaded = out.split()
    assert int(frozen) > 10_000 and views_loaded == "True"
