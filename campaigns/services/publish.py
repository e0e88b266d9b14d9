"""Sending a Celery task by its registered name, so services never import `campaigns.tasks` (which imports
them). The registered names are an API (queued messages carry them); `campaigns.apps` imports the task
modules at start-up so every name is registered. In eager mode (no broker) the task runs in-process, as
`apply_async` does."""

TASK_SEND_BATCH = "campaigns.send_batch"
TASK_SEND_AUTO_REPLY = "campaigns.send_auto_reply"
# The automatic answer's former name, still registered so messages queued under it are sent.
TASK_SEND_HELP_ANSWER = "campaigns.send_help_answer"
TASK_SHOPIFY_INSTALL_SETUP = "campaigns.shopify_install_setup"
TASK_SHOPIFY_PROCESS_WEBHOOK = "campaigns.shopify_process_webhook"
TASK_SHOPIFY_SYNC = "campaigns.shopify_sync"
TASK_SHOPIFY_CONSENT_WRITEBACK = "campaigns.shopify_consent_writeback"
TASK_CREDIT_PURCHASE_CHECK = "campaigns.credit_purchase_check"


def task_publish(name: str, *, args: list, **options) -> None:
    """Send the registered task `name` with `args` (and apply_async's `options`: queue, countdown, …)."""
    from config.celery import app

    app.tasks[name].apply_async(args=args, **options)
