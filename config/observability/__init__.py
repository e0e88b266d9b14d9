"""Operations telemetry of every process (web, worker, beat): Prometheus metrics and structured logs.

Why here, in config/, and not in the `metrics` app: `metrics/` owns the campaign counters the status API
serves (database rows keyed by campaign id, part of the domain). This package is process telemetry of
every layer — the Mitto edge (`messaging`), the webhooks and the send pipeline (`campaigns`), the broker's
queues, the request cycle — so it is called from all of them and must sit below them all: it imports
none of the apps, only Django settings, `prometheus_client` and `python-json-logger`. config/ is the
one folder that wires the apps together, and the web process, Celery and gunicorn are configured here.

- `metrics`: every metric definition and the small `observe_*` functions the code calls.
- `queues`: the queue-depth collector (Redis LLEN at scrape time).
- `endpoint`: `GET /metrics`, behind METRICS_TOKEN.
- `context`: the ids a log line carries (request, task, shop, campaign, batch), in contextvars.
- `logs`: JSON/text formatters, the context filter, phone masking, bounded payload summaries.
- `middleware`: the request id (X-Request-ID in, out).
- `celery_signals`: Celery's logging and multiprocess hooks.
"""
