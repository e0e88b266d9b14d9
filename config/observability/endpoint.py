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


def _loopback(request) -> bool:
    if any(request.META.get(header) for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _refusal(request) -> JsonResponse | None:
    """The answer refusing this scrape, or None when it may go on."""
    token = settings.METRICS_TOKEN
    if not token:
        if _loopback(request):
            return None
        return _error("forbidden", "Metrics are served to this machine only; set METRICS_TOKEN to scrape "
                                   "from elsewhere.", 403)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return _error("unauthorized", "Missing metrics token: send 'Authorization: Bearer <METRICS_TOKEN>'.", 401)
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return _error("forbidden", "Wrong metrics token.", 403)
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
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
