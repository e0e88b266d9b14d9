"""POST /webhooks/shopify: every Shopify topic at one URL (API.md "Shopify"). The HMAC of the raw body is checked
before anything else (401 when wrong), the delivery is stored once per webhook id and answered 200; a task does
the work. Nothing a caller sends yields a 500. Each call is counted and timed
(`shopsms_http_request_seconds{endpoint="shopify"}`)."""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from campaigns.api.errors import json_error
from campaigns.services.shopify_sync.webhooks import shopify_webhook_store
from config.observability.metrics import timed_view
from shopify.webhooks import delivery, verify_webhook


@timed_view("shopify")
@csrf_exempt
def shopify_webhook(request):
    if request.method != "POST":
        response = json_error("method_not_allowed", f'Method "{request.method}" not allowed.', 405)
        response["Allow"] = "POST"
        return response
    try:
        body = request.body
    except RequestDataTooBig:
        return json_error("request_too_large", "The body is larger than the server accepts.", 413)
    headers = delivery(request.headers)
    if not verify_webhook(body, headers.hmac):
        return json_error("unauthorized", "Missing or wrong X-Shopify-Hmac-Sha256.", 401)
    if not (headers.webhook_id and headers.topic and headers.shop_domain):
        return json_error("malformed_payload",
                          "X-Shopify-Webhook-Id, X-Shopify-Topic and X-Shopify-Shop-Domain are required.", 400)
    stored = shopify_webhook_store(delivery=headers, body=body)
    return JsonResponse({"ok": True, "duplicate": stored is None})
