"""`GET /healthz`: is the database reachable, and Redis when one is configured."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _redis_state() -> str:
    if not settings.REDIS_URL:
        return "absent"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        return "ok"
    except redis.RedisError:
        return "down"


@require_GET
def healthz(request):
    body = {"db": "ok" if _database_ok() else "down", "redis": _redis_state()}
    healthy = body["db"] == "ok" and body["redis"] != "down"
    return JsonResponse(body, status=200 if healthy else 503)
