import os
import re
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
        _assert_report_shows_what_was_clicked_and_ordered(demo.stdout)


def _numbers(pattern: str, text: str) -> tuple:
    found = re.search(pattern, text)
    assert found, f"no line matching {pattern!r} in:\n{text}"
    return tuple(int(group) if group.isdigit() else group for group in found.groups())


def _assert_report_shows_what_was_clicked_and_ordered(stdout: str):
    """The report printed at the end (read from the API) equals what the demo did over HTTP."""
    people, twice, previews = _numbers(r"Clicks: (\d+) customers opened .* \((\d+) of them twice\); (\d+) link "
                                       r"previewers", stdout)
    kept, receive, click_revenue, receive_revenue = _numbers(
        r"Expected: orders click (\d+), receive (\d+); revenue USD click ([\d.]+), receive ([\d.]+)\.", stdout)
    report = stdout.split("Report of campaign #")[1]
    sent, delivered, clicked = _numbers(r"sent (\d+) → delivered (\d+) → clicked (\d+)", report)
    assert people > 0 and previews > 0 and kept > 0 and receive > 0
    assert clicked == people and 0 < delivered <= sent
    assert _numbers(r"clicks (\d+) \((\d+) unique\), bot clicks (\d+)", report) == (people + twice, people, previews)
    assert _numbers(r"orders (\d+): click (\d+), receive (\d+)", report) == (kept + receive, kept, receive)
    total = f"{float(click_revenue) + float(receive_revenue):.2f}"
    assert f"revenue USD {total} (click {click_revenue}, receive {receive_revenue})" in report
