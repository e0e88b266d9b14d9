"""The Celery tasks' registered names, routes and beat schedule: an API (queued messages carry the names)."""

from config.celery import app


def test_task_names_routes_and_beat_schedule_are_stable(settings):
    app.loader.import_default_modules()
    names = {name for name in app.tasks if name.startswith("campaigns.")}
    assert {"campaigns.send_batch", "campaigns.start_scheduled", "campaigns.recover_batches",
            "campaigns.resolve_unknown_batches", "campaigns.send_help_answer", "campaigns.send_auto_reply"} <= names
    for name in ("campaigns.send_batch", "campaigns.send_help_answer", "campaigns.send_auto_reply"):
        assert app.amqp.router.route({}, name)["queue"].name == settings.CELERY_QUEUE_SEND
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "campaigns.start_scheduled", "campaigns.recover_batches", "campaigns.resolve_unknown_batches",
        "campaigns.reapply_unmatched_reports", "metrics.reconcile", "campaigns.release_held_recipients",
        "campaigns.flush_clicks",
        "campaigns.purge_finished",
        "campaigns.recheck_credit_purchases",
    }
    assert {entry["options"]["queue"] for entry in schedule.values()} == {settings.CELERY_QUEUE_PERIODIC}


def test_the_registered_task_names_are_exactly_these():
    """A snapshot: a name added, renamed or dropped fails here (messages in the broker carry the old names)."""
    app.loader.import_default_modules()
    assert sorted(name for name in app.tasks if not name.startswith("celery.")) == [
        "campaigns.credit_purchase_check",
        "campaigns.flush_clicks",
        "campaigns.purge_finished",
        "campaigns.reapply_unmatched_reports",
        "campaigns.recheck_credit_purchases",
        "campaigns.recover_batches",
        "campaigns.release_held_recipients",
        "campaigns.resolve_unknown_batches",
        "campaigns.send_auto_reply",
        "campaigns.send_batch",
        "campaigns.send_help_answer",
        "campaigns.shopify_consent_writeback",
        "campaigns.shopify_install_setup",
        "campaigns.shopify_process_webhook",
        "campaigns.shopify_sync",
        "campaigns.start_scheduled",
        "metrics.reconcile",
    ]


def test_services_publish_the_registered_tasks_by_name(monkeypatch):
    """The publish seam finds each task services send by its registered name (no import of campaigns.tasks)."""
    from campaigns import tasks
    from campaigns.services.publish import TASK_SEND_AUTO_REPLY, TASK_SEND_BATCH, TASK_SEND_HELP_ANSWER, task_publish

    sent = []
    monkeypatch.setattr(tasks.send_batch, "apply_async", lambda **kw: sent.append(("batch", kw)))
    monkeypatch.setattr(tasks.send_help_answer, "apply_async", lambda **kw: sent.append(("help", kw)))
    monkeypatch.setattr(tasks.send_auto_reply, "apply_async", lambda **kw: sent.append(("auto", kw)))
    task_publish(TASK_SEND_BATCH, args=[7], queue="q")
    task_publish(TASK_SEND_HELP_ANSWER, args=[8], countdown=1.5)
    task_publish(TASK_SEND_AUTO_REPLY, args=[9], countdown=0)
    assert sent == [("batch", {"args": [7], "queue": "q"}), ("help", {"args": [8], "countdown": 1.5}),
                    ("auto", {"args": [9], "countdown": 0})]
