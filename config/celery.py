"""The Celery app: configured from Django settings (CELERY_ namespace), tasks found in the apps.

Queues (names from settings, prefixed per deployment): sending, delivery reports and periodic work are
separate so each can be scaled alone. Beat's tasks each hold a lock (config.locks) while they run.
"""

import math
import os

from celery import Celery, signals

import config.observability.celery_signals  # noqa: F401  (logging and metrics hooks of worker and beat)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shopsms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["campaigns.webhooks"])

# Which queue each task goes to: (task name prefix, settings attribute naming the queue); others go to
# CELERY_TASK_DEFAULT_QUEUE or the queue their decorator names.
ROUTES = (("campaigns.send_", "CELERY_QUEUE_SEND"),)
# Periodic work: (task name, every seconds, times BEAT_INTERVAL_SCALE). Each runs on the periodic queue and
# holds a lock (periodic_lock_ttl_s).
PERIODIC = (
    ("campaigns.start_scheduled", 15),
    ("campaigns.recover_batches", 30),
    ("campaigns.resolve_unknown_batches", 60),
    ("campaigns.release_held_recipients", 60),
    ("campaigns.reapply_unmatched_reports", 60),
    ("metrics.reconcile", 300),
    ("campaigns.purge_finished", 3600),
    ("campaigns.recheck_credit_purchases", 300),
    ("campaigns.flush_clicks", 5),
)


@signals.worker_process_init.connect
def _freeze_startup_objects(**kwargs):
    """Each pool process's start-up objects stay out of the collector's walks (config.runtime)."""
    from config.runtime import freeze_startup_objects

    freeze_startup_objects()


def route(name, args, kwargs, options, task=None, **kw):
    """Settings are read when a task is sent (not at import, which runs while settings load)."""
    from django.conf import settings

    if name in dict(PERIODIC):
        return {"queue": settings.CELERY_QUEUE_PERIODIC}
    for prefix, queue in ROUTES:
        if name.startswith(prefix):
            return {"queue": getattr(settings, queue)}
    return None


app.conf.task_routes = (route,)


def periodic_every_s(name: str) -> float:
    """How often beat sends the periodic task `name`: its PERIODIC interval times BEAT_INTERVAL_SCALE."""
    from django.conf import settings

    return dict(PERIODIC)[name] * settings.BEAT_INTERVAL_SCALE


def periodic_lock_ttl_s(name: str) -> int:
    """The lifetime of a periodic task's lock: two of its periods (at least 2 s). The holder renews it while it
    runs, so a worker killed while holding it delays that work by about two periods, not for good."""
    return max(2, math.ceil(2 * periodic_every_s(name)))


@app.on_after_configure.connect
def _beat_schedule(sender, **kwargs):
    from django.conf import settings

    for name, _ in PERIODIC:
        every_s = periodic_every_s(name)
        sender.add_periodic_task(
            every_s, sender.signature(name), name=name, queue=settings.CELERY_QUEUE_PERIODIC, expires=every_s
        )
