"""Queue depth at scrape time: `shopsms_queue_depth{queue}` read from the broker's Redis lists.

The send, reports and periodic queues (`<SMS_KEY_PREFIX>.send|reports|periodic`) are Redis lists named
with the broker's `global_keyprefix` (`<SMS_KEY_PREFIX>:`), one list per priority step as kombu keeps
them; the depth is their summed LLEN — messages waiting for a worker. Messages a worker has taken (and
retries waiting out a countdown, held by the worker that scheduled them) are not in the lists.

A broker that does not answer never fails a scrape: `shopsms_broker_up` is 0 and no depth is given.
Without a Redis broker (in-process tasks) neither series is given.
"""

import threading

import redis
from django.conf import settings
from prometheus_client.core import GaugeMetricFamily

# kombu's Redis transport: a message of priority p waits in `<queue><SEP><step>` (step > 0), else `<queue>`.
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
QUEUE_SETTINGS = (("send", "CELERY_QUEUE_SEND"), ("reports", "CELERY_QUEUE_REPORTS"),
                  ("periodic", "CELERY_QUEUE_PERIODIC"))
TIMEOUT_S = 1.0

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _client(url: str) -> redis.Redis:
    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
        return _clients[url]


def _list_keys(queue: str) -> list[str]:
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    return [f"{prefix}{queue}{PRIORITY_SEP}{step}" if step else f"{prefix}{queue}" for step in PRIORITY_STEPS]


def queue_depths() -> dict[str, int] | None:
    """Messages waiting in each queue ({"send": n, "reports": n, "periodic": n}); None when unreachable."""
    url = settings.CELERY_BROKER_URL
    pipe = _client(url).pipeline(transaction=False)
    names = [(name, getattr(settings, setting)) for name, setting in QUEUE_SETTINGS]
    for _, queue in names:
        for key in _list_keys(queue):
            pipe.llen(key)
    try:
        sizes = pipe.execute()
    except redis.RedisError:
        return None
    steps = len(PRIORITY_STEPS)
    return {name: sum(sizes[i * steps:(i + 1) * steps]) for i, (name, _) in enumerate(names)}


def _redis_broker() -> bool:
    url = settings.CELERY_BROKER_URL or ""
    return url.startswith(("redis://", "rediss://", "unix://"))


class QueueDepthCollector:
    """A prometheus_client collector: asks the broker at each scrape (no sample is stored)."""

    def describe(self):
        return []

    def collect(self):
        if not _redis_broker():
            return
        deployment = settings.SMS_KEY_PREFIX
        depths = queue_depths()
        up = GaugeMetricFamily("shopsms_broker_up", "1 when the broker answered this scrape, else 0.",
                               labels=["deployment"])
        up.add_metric([deployment], 0 if depths is None else 1)
        yield up
        if depths is None:
            return
        depth = GaugeMetricFamily("shopsms_queue_depth", "Messages waiting in a queue for a worker.",
                                  labels=["deployment", "queue"])
        for name, size in depths.items():
            depth.add_metric([deployment, name], size)
        yield depth
