"""Did the broker lose its messages? A Redis broker restarted without persistence (or flushed) comes back
empty: every task message waiting in it, or delivered and not yet acknowledged, is gone, and nothing in the
broker says so. A marker key with no expiry (`<prefix>:broker:marker`) is kept in the broker's Redis; when
beat finds it missing, the broker lost its data since it last looked."""

import logging

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


def marker_key() -> str:
    return f"{settings.SMS_KEY_PREFIX}:broker:marker"


def broker_lost_messages() -> bool:
    """True when the broker's Redis holds no marker (it lost its data, or was never marked: a new
    deployment), and marks it, so each loss is reported once. False without a Redis broker (in-process
    tasks) and when the broker cannot be asked (its messages are then waited for, not presumed lost)."""
    from config.celery import app

    url = app.conf.broker_url
    if app.conf.task_always_eager or not url or not url.startswith(("redis://", "rediss://", "unix://")):
        return False
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.set(marker_key(), "1", nx=True))
    except redis.RedisError as exc:
        logger.warning("broker unreachable (%s): cannot tell whether it lost messages", exc)
        return False
    finally:
        client.close()
