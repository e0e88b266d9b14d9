"""Baselines: bare Django views doing only the indexed UPDATE (delivery reports), the one INSERT (Shopify) or the
302 of a short link.

No authentication, no parsing beyond `json.loads`, no counters: the least a view can do and still apply the
reports. The webhook's throughput is reported as a ratio of this one's, measured through the same gunicorn.
"""

import json

from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import csrf_exempt

_UPDATE_ONE = """
UPDATE campaigns_campaignrecipient SET status = 'delivered', delivered_at = now()
WHERE mitto_message_id = %s AND status = 'sent'
"""
_UPDATE_MANY = """
UPDATE campaigns_campaignrecipient AS r SET status = 'delivered', delivered_at = now()
FROM unnest(%s::text[]) AS v(message_id)
WHERE r.mitto_message_id = v.message_id AND r.status = 'sent'
"""


@csrf_exempt
def bare_dlr(request):
    payload = json.loads(request.body)
    with connection.cursor() as cursor:
        if isinstance(payload, list):
            cursor.execute(_UPDATE_MANY, [[item["messageId"] for item in payload]])
        else:
            cursor.execute(_UPDATE_ONE, [payload["messageId"]])
    return JsonResponse({"ok": True}, status=202)


_INSERT_WEBHOOK = """
INSERT INTO campaigns_shopifywebhook (webhook_id, topic, shop_domain, api_version, event_id, triggered_at, body,
                                      received_at, attempts, error)
VALUES (%s, %s, %s, '', '', '', %s, now(), 0, '') ON CONFLICT (webhook_id) DO NOTHING
"""


@csrf_exempt
def bare_shopify_webhook(request):
    """The Shopify webhook's baseline: the one INSERT of the delivery, nothing checked, nothing published."""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_WEBHOOK, [request.headers["X-Shopify-Webhook-Id"], request.headers["X-Shopify-Topic"],
                                         request.headers["X-Shopify-Shop-Domain"], request.body.decode()])
    return JsonResponse({"ok": True})


def bare_redirect(request, code):
    """The short link's baseline: the same 302 (UTM included), nothing decoded, looked up or recorded."""
    return HttpResponseRedirect("https://bench.example/sale?src=sms&utm_source=shopsms&utm_medium=sms&utm_campaign=1")
