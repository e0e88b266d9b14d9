"""Gunicorn's settings for the web process (Procfile: `gunicorn -c config/gunicorn.py config.wsgi:application`).

- Bind and workers from PORT and WEB_CONCURRENCY, as before.
- Logs: gunicorn's own lines (the master's included) go through the project's logging config, so they
  are the same JSON lines (LOG_FORMAT, LOG_LEVEL) as Django's.
- Metrics: with PROMETHEUS_MULTIPROC_DIR set, a worker that exits has its files marked dead
  (prometheus_client's multiprocess mode), so `/metrics` keeps only what its counters added.
"""

import os
import sys
from pathlib import Path

# Gunicorn reads this file before it puts the working directory on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.observability.logs import logging_config  # noqa: E402

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
logconfig_dict = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "json").lower(),
    level=os.environ.get("LOG_LEVEL", "INFO").upper(),
    deployment=os.environ.get("SMS_KEY_PREFIX", "shopsms"),
)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
