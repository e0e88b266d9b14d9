import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.slow
def test_make_demo_sends_a_campaign_to_completion_on_the_embedded_defaults(tmp_path):
    """What `make demo` runs, on a fresh SQLite database with no broker: migrate, then demo."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=settings.BASE_DIR, env=env, check=True)
    for _ in range(2):  # twice: a second run works as well
        demo = subprocess.run([*manage, "demo", "--contacts", "600", "--batch-size", "100"], cwd=settings.BASE_DIR,
                              env=env, capture_output=True, text=True, timeout=120)
        assert demo.returncode == 0, demo.stderr
        assert '"status": "completed"' in demo.stdout
        assert '"queued": 0' in demo.stdout
        assert "Credits used:" in demo.stdout
        # its customers synced from the Shopify simulator first: every tenth has no phone
        assert "first sync done" in demo.stdout and '"skippedNoPhone": 100' in demo.stdout
        # its credits bought as a pack in the Shopify simulator, credited through our return URL
        assert "Bought 5000 credits (55.00 USD, a Shopify test charge)." in demo.stdout
        assert "Balance 5000 credits, all from the ledger's purchases." in demo.stdout
        reports = demo.stdout.split("Delivery reports:")[1]  # applied through the DLR webhook
        assert '"delivered": 0,' not in reports and '"status": "completed"' in reports
