"""Celery's hooks into our telemetry, connected when config.celery is imported.

- Logging: Celery sets up the worker's and beat's handlers (levels from `--loglevel`); they get our
  formatter (LOG_FORMAT) and filters, so worker and beat write the same JSON lines as the web process.
- Each task's log lines carry its task id and name, and the id of the request that sent it (a message
  header set at publishing).
- Multiprocess metrics: a prefork child that exits marks its files dead (prometheus_client); with
  METRICS_PORT set, the worker's main process serves the host's `/metrics` (config.observability.exporter),
  for hosts that run no web process.
"""

import logging
import os

from celery import signals

from config.observability import context

REQUEST_ID_HEADER = "shopsms_request_id"
_saved: dict[str, dict] = {}  # task id → the ids bound when it started
logger = logging.getLogger(__name__)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _adopt_celery_handlers(logger=None, **kwargs):
    from django.conf import settings

    from config.observability.logs import adopt_handlers

    adopt_handlers(logger, log_format=settings.LOG_FORMAT, deployment=settings.SMS_KEY_PREFIX)


@signals.before_task_publish.connect
def _carry_request_id(headers=None, **kwargs):
    """A task sent while handling a request carries its id, so the worker's lines can be traced to it."""
    request_id = context.current().get("request_id")
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect
def _bind_task(task_id=None, task=None, **kwargs):
    """The task's lines carry its id, name and sending request; what the task binds (campaign, batch) is
    forgotten when it ends, so nothing leaks into the next task run by this process."""
    _saved[task_id] = context.current()
    request = getattr(task, "request", None)
    request_id = getattr(request, REQUEST_ID_HEADER, None) or ((getattr(request, "headers", None) or {})
                                                                .get(REQUEST_ID_HEADER))
    context.bind(task_id=task_id, task=getattr(task, "name", None), request_id=request_id)


@signals.task_postrun.connect
def _unbind_task(task_id=None, **kwargs):
    context.restore(_saved.pop(task_id, {}))


@signals.worker_process_shutdown.connect
def _mark_process_dead(pid=None, **kwargs):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


@signals.worker_ready.connect
def _serve_metrics(**kwargs):
    from django.conf import settings

    from config.observability import exporter, metrics

    if not settings.METRICS_PORT:
        return
    if not metrics.MULTIPROCESS:
        logger.warning("METRICS_PORT is set but PROMETHEUS_MULTIPROC_DIR is not: the pool's processes count "
                       "in memory no exporter can read, so /metrics is not served")
        return
    exporter.serve_in_thread(addr=settings.METRICS_ADDR, port=settings.METRICS_PORT, token=settings.METRICS_TOKEN)
