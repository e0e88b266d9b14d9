"""Baselines for the delivery-report webhook: a bare Django view doing only the indexed UPDATE.

No authentication, no parsing beyond `json.loads`, no counters: the least a view can do and still apply the
reports. The webhook's throughput is reported as a ratio of this one's, measured through the same gunicorn.
"""

import json

from django.db import connection
from django.http import JsonResponse
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
