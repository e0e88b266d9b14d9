"""The OAuth install (SHOPIFY.md, "Install"): shop check, query HMAC, nonce, authorize URL, code exchange,
expiring offline tokens and their refresh.

Nothing here stores anything but the nonce (in the cache, short-lived); tokens are returned to the caller,
which encrypts them (`shopify.tokens`). No token, secret or code appears in a log line or an error message.
"""

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from shopify.errors import OAuthError, TransientError
from shopify.http import admin_url, session

logger = logging.getLogger("shopify.oauth")

SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
MAX_QUERY_AGE_S = 300
MAX_CLOCK_SKEW_S = 60
NONCE_TTL_S = 600
NONCE_PREFIX = "shopify:oauth-nonce:"
REFRESH_MARGIN_S = 300
TIMEOUT_S = 15


@dataclass(frozen=True)
class OfflineToken:
    """An offline access token; `expires_at` None means a non-expiring (legacy) token. Tokens are left out of repr."""

    access_token: str = field(repr=False)
    scope: str
    expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None

    def needs_refresh(self, *, now: datetime | None = None, margin_s: int = REFRESH_MARGIN_S) -> bool:
        """True when the token expires within `margin_s` (and can be refreshed)."""
        if self.expires_at is None or not self.refresh_token:
            return False
        return self.expires_at - timedelta(seconds=margin_s) <= (now or timezone.now())


def valid_shop(shop: Any) -> str:
    """The shop's myshopify domain, lowercased; OAuthError(invalid_shop, 400) for anything else."""
    candidate = shop.strip().lower() if isinstance(shop, str) else ""
    if not SHOP_DOMAIN.fullmatch(candidate) or len(candidate) > 255:
        raise OAuthError("invalid_shop", "shop must be a myshopify.com domain", status=400)
    return candidate


def query_hmac(params: Mapping[str, Any], secret: str) -> str:
    """Shopify's hex HMAC-SHA256 of a query: every parameter but `hmac`/`signature`, sorted, joined `k=v&k=v`.

    A repeated parameter is written as Shopify writes it (`ids=["1", "2"]`); `%`, `&` (and `=` in names)
    are escaped so no value can forge a separator.
    """
    parts = []
    for name in sorted(params):
        if name in ("hmac", "signature"):
            continue
        value = params[name]
        if isinstance(value, list | tuple):
            value = value[0] if len(value) == 1 else "[" + ", ".join(f'"{item}"' for item in value) + "]"
        key = _escape(str(name).removesuffix("[]"), also="=")
        parts.append(f"{key}={_escape(str(value))}")
    return hmac.new(secret.encode(), "&".join(parts).encode(), hashlib.sha256).hexdigest()


def verify_query(params: Mapping[str, Any], *, secret: str | None = None, now: float | None = None,
                 max_age_s: int = MAX_QUERY_AGE_S) -> str:
    """Check a query Shopify signed (install or callback): hmac in constant time, then timestamp freshness.

    Returns the valid shop domain. Raises OAuthError: invalid_shop (400), invalid_hmac (401), stale (401).
    """
    shop = valid_shop(_one(params.get("shop")))
    secret = settings.SHOPIFY_API_SECRET if secret is None else secret
    given = _one(params.get("hmac"))
    if not secret or not isinstance(given, str) or not given:
        raise OAuthError("invalid_hmac", "the query carries no valid hmac", status=401)
    expected = query_hmac(params, secret)
    if not hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace")):
        raise OAuthError("invalid_hmac", "the query hmac does not match", status=401)
    try:
        stamp = int(_one(params.get("timestamp")))
    except (TypeError, ValueError):
        raise OAuthError("stale", "the query has no valid timestamp", status=401) from None
    age = (time.time() if now is None else now) - stamp
    if age > max_age_s or age < -MAX_CLOCK_SKEW_S:
        raise OAuthError("stale", "the query timestamp is too old", status=401)
    return shop


def issue_nonce(shop: str) -> str:
    """A new random state for one install attempt of `shop`, kept NONCE_TTL_S seconds."""
    nonce = secrets.token_urlsafe(24)
    cache.set(NONCE_PREFIX + nonce, shop, timeout=NONCE_TTL_S)
    return nonce


def consume_nonce(nonce: Any, shop: str) -> None:
    """Accept a state once, for the shop it was issued to; OAuthError(invalid_state, 401) otherwise."""
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
        raise OAuthError("invalid_state", "the state is missing or malformed", status=401)
    key = NONCE_PREFIX + nonce
    if cache.get(key) != shop or not cache.delete(key):
        raise OAuthError("invalid_state", "the state is unknown, expired, used or for another shop", status=401)


def authorize_url(shop: str, nonce: str) -> str:
    """Where to send the merchant to approve the install (SHOPIFY.md step 2)."""
    query = urlencode({
        "client_id": settings.SHOPIFY_API_KEY, "scope": settings.SHOPIFY_SCOPES,
        "redirect_uri": f"{settings.SHOPIFY_APP_URL}/shopify/callback", "state": nonce,
    })
    return f"{admin_url(shop, 'oauth/authorize')}?{query}"


def exchange_code(shop: str, code: str, *, now: datetime | None = None) -> OfflineToken:
    """Trade the callback's code for an expiring offline token (SHOPIFY.md step 3)."""
    if not isinstance(code, str) or not code:
        raise OAuthError("exchange_failed", "the callback carries no code", status=400)
    return _token_request(shop, {"code": code, "expiring": "1"}, now)


def refresh_token(shop: str, token: OfflineToken, *, now: datetime | None = None) -> OfflineToken:
    """A new access token (and refresh token) for an expiring one (`grant_type=refresh_token`)."""
    if not token.refresh_token:
        raise OAuthError("exchange_failed", "the token has no refresh token", status=400)
    return _token_request(shop, {"grant_type": "refresh_token", "refresh_token": token.refresh_token}, now)


def fresh_token(shop: str, token: OfflineToken, *, now: datetime | None = None,
                margin_s: int = REFRESH_MARGIN_S) -> OfflineToken:
    """`token` itself, or a refreshed one when it expires within `margin_s`; the caller stores a new one."""
    return refresh_token(shop, token, now=now) if token.needs_refresh(now=now, margin_s=margin_s) else token


def _token_request(shop: str, grant: dict[str, str], now: datetime | None) -> OfflineToken:
    body = {"client_id": settings.SHOPIFY_API_KEY, "client_secret": settings.SHOPIFY_API_SECRET, **grant}
    url = admin_url(shop, "oauth/access_token")
    try:
        response = session().post(url, json=body, timeout=(TIMEOUT_S, TIMEOUT_S), allow_redirects=False)
    except requests.RequestException as exc:
        raise TransientError(f"token request to {shop} failed ({type(exc).__name__})") from None
    if response.status_code >= 500:
        raise TransientError(f"token request to {shop} answered {response.status_code}", status=response.status_code)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.status_code != 200 or not isinstance(payload, dict) or not payload.get("access_token"):
        logger.warning("Shopify refused a token request for %s: HTTP %s", shop, response.status_code)
        raise OAuthError("exchange_failed", f"{shop} refused the token request (HTTP {response.status_code})",
                         status=401 if response.status_code in (400, 401, 403) else 400)
    return _token(payload, now or timezone.now())


def _token(payload: dict, now: datetime) -> OfflineToken:
    def after(name: str) -> datetime | None:
        seconds = payload.get(name)
        return now + timedelta(seconds=int(seconds)) if isinstance(seconds, int | float) and seconds > 0 else None

    return OfflineToken(
        access_token=str(payload["access_token"]), scope=str(payload.get("scope") or ""),
        expires_at=after("expires_in"), refresh_token=payload.get("refresh_token") or None,
        refresh_expires_at=after("refresh_token_expires_in"),
    )


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list | tuple) and value else value


def _escape(text: str, also: str = "") -> str:
    text = text.replace("%", "%25").replace("&", "%26")
    return text.replace("=", "%3D") if also else text
