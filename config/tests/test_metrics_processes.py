"""Multiprocess mode for real: a Celery prefork worker and gunicorn sharing one PROMETHEUS_MULTIPROC_DIR.

The worker's pool processes send a campaign through the Mitto simulator; gunicorn's `/metrics` (its
workers never sent anything) serves the counts they wrote, and so does the worker's own exporter
(METRICS_PORT, for hosts without a web process); the worker's log lines are JSON and carry the id of
the request that enqueued the campaign, gunicorn's too.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from campaigns.models import Campaign
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.celery_processes import ROOT, CeleryWorker, worker_env
from campaigns.tests.support.send_helpers import add_contacts, funded_shop, sending_campaign
from config.observability.context import log_context
from config.tests.scrape import delta, samples
from messaging.simulator import MittoSimulator

RECIPIENTS = 30
TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scrape(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return samples(response.read().decode())


def _gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    """gunicorn as the Procfile runs it (config/gunicorn.py), its output in `log`."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"],
            cwd=ROOT, env={**env, "PORT": str(port), "WEB_CONCURRENCY": "2"}, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-3000:]}")


def _completed(campaign: Campaign, worker: CeleryWorker) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.status == Campaign.Status.COMPLETED:
            return
        time.sleep(0.1)
    raise AssertionError(f"not completed: {campaign.status}\n{worker.output()}")


@pytest.fixture
def broker_tasks():
    from config.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_what_the_worker_processes_counted(settings, tmp_path, broker_tasks):
    settings.SMS_BATCH_SIZE = 10
    (tmp_path / "metrics").mkdir()
    shared = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    with MittoSimulator(api_key=settings.MITTO_API_KEY) as simulator:
        simulator.configure(reject_prefix="+30691000002")  # +306910000020 … 29: 10 rejected
        exporter_port = _free_port()
        worker = CeleryWorker(concurrency=2, MITTO_API_BASE=simulator.base_url, METRICS_PORT=str(exporter_port),
                              **shared).start()
        port = _free_port()
        web = _gunicorn(worker_env(**shared), port, tmp_path / "gunicorn.log")
        try:
            url = f"http://127.0.0.1:{port}/metrics"
            before = _scrape(url)
            assert _scrape(f"http://127.0.0.1:{exporter_port}/metrics") == before
            shop = funded_shop(1000)
            add_contacts(shop, RECIPIENTS)
            campaign = sending_campaign(shop)
            with log_context(request_id="req-e2e-0001"):  # as if enqueued through the API
                campaign_enqueue(shop=shop, campaign_id=campaign.id)
            _completed(campaign, worker)
            after = _scrape(url)
            from_worker = _scrape(f"http://127.0.0.1:{exporter_port}/metrics")
        finally:
            web.terminate()
            web.wait(10)
            worker.stop()

    deployment = settings.SMS_KEY_PREFIX
    assert delta(before, after, "shopsms_messages_total", deployment=deployment, outcome="accepted") == 20
    assert from_worker == after
    assert delta(before, after, "shopsms_messages_total", deployment=deployment, outcome="rejected") == 10
    assert delta(before, after, "shopsms_provider_request_seconds_count", deployment=deployment,
                 endpoint="bulk", outcome="ok") == 3
    task_lines = [json.loads(line) for line in worker.output().splitlines() if '"task_id"' in line]
    assert task_lines and all(line["deployment"] == deployment for line in task_lines)
    assert all(line["request_id"] == "req-e2e-0001" for line in task_lines)  # carried by the broker messages
    web_lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines()
                 if line.startswith("{")]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in web_lines)
