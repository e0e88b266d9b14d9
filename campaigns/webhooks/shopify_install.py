"""GET /shopify/install and /shopify/callback, the OAuth install (SHOPIFY.md "Install", API.md "Shopify"): thin
views over the `shopify` edge and one service.

A bad `shop` is 400; a bad or stale `hmac`, or an unknown, used or foreign `state`, is 401; nothing is stored
before the callback's code has been exchanged for a token.
"""

import logging

from django.http import HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET

from campaigns.api.errors import json_error
from campaigns.services.shopify_sync.install import shopify_install_complete
from shopify import oauth
from shopify.errors import OAuthError, ShopifyError

logger = logging.getLogger(__name__)


def _query(request) -> dict[str, list[str]]:
    return {name: request.GET.getlist(name) for name in request.GET}


@require_GET
def install(request):
    """Shopify (or the merchant) starts an install: checked, then sent to Shopify to approve our scopes."""
    try:
        shop = oauth.verify_query(_query(request))
    except OAuthError as exc:
        return json_error(exc.reason, str(exc), exc.status)
    return HttpResponseRedirect(oauth.authorize_url(shop, oauth.issue_nonce(shop)))


@require_GET
def callback(request):
    """Shopify sends the merchant back with a code: checked, exchanged for a token, the install stored."""
    try:
        shop = oauth.verify_query(_query(request))
        oauth.consume_nonce(request.GET.get("state"), shop)
        token = oauth.exchange_code(shop, request.GET.get("code") or "")
    except OAuthError as exc:
        return json_error(exc.reason, str(exc), exc.status)
    except ShopifyError as exc:
        logger.warning("Shopify token exchange for %s failed: %s", request.GET.get("shop"), exc)
        return json_error("shopify_unavailable", "Shopify did not answer the token exchange; install again.", 502)
    shopify_install_complete(domain=shop, token=token)
    return JsonResponse({"ok": True, "shop": shop, "installed": True})
