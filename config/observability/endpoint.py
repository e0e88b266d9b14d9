"""`GET /metrics`: every metric of this host's processes in Prometheus text format, behind METRICS_TOKEN.

With METRICS_TOKEN set, the scraper sends `Authorization: Bearer <token>` (401 without one, 403 when it is
wrong). Unset, only a client on this machine may scrape (REMOTE_ADDR loopback, and no proxy header:
a local reverse proxy forwarding the world would otherwise look local), anyone else gets 403 naming
METRICS_TOKEN.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

from config.observability import metrics
from config.observability.queues import QueueDepthCollector

PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _error(reason: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "reason": reason, "detail": detail}, status=status)


def _loopback(environ: dict) -> bool:
    if any(environ.get(header) for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(environ.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def refusal(environ: dict, token: str) -> tuple[int, str, str] | None:
    """(status, reason, detail) refusing the scrape described by a WSGI `environ`, or None when it may go on."""
    if not token:
        if _loopback(environ):
            return None
        return 403, "forbidden", "Metrics are served to this machine only; set METRICS_TOKEN to scrape from elsewhere."
    scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return 401, "unauthorized", "Missing metrics token: send 'Authorization: Bearer <METRICS_TOKEN>'."
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return 403, "forbidden", "Wrong metrics token."
    return None


def scrape_registry() -> CollectorRegistry:
    """The registry a scrape reads: every process's files (multiprocess mode) or this process's metrics,
    and the queue depths."""
    if metrics.MULTIPROCESS:
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        registry.register(QueueDepthCollector())
        return registry
    return metrics.REGISTRY


@csrf_exempt
def metrics_view(request):
    if request.method not in ("GET", "HEAD"):
        response = _error("method_not_allowed", f'Method "{request.method}" not allowed.', 405)
        response["Allow"] = "GET, HEAD"
        return response
    refused = refusal(request.META, settings.METRICS_TOKEN)
    if refused is not None:
        status, reason, detail = refused
        return _error(reason, detail, status)
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
