"""Bearer API keys: `Authorization: Bearer <key>`, looked up by SHA-256 hash."""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from campaigns.models import ApiKey, Shop
from config.observability.context import bind as bind_log_context

KEY_PREFIX = "sk_"


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, shop: Shop, name: str = "") -> str:
    """Create a key for the shop and return it in clear text: the only time it is ever seen."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.create(shop=shop, prefix=raw_key[:12], key_hash=hash_key(raw_key), name=name)
    return raw_key


def api_keys_revoke(*, key_ids: list[int]) -> int:
    """Revoke the given keys now: the next request with one of them is a 401 (keys are looked up on every
    request, never cached). Keys revoked already keep their first revocation time. Returns how many were
    revoked by this call."""
    return ApiKey.objects.filter(id__in=key_ids, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_keys_matching(text: str):
    """The keys `text` names: a whole key (matched by its hash) or the start of a key's shown prefix."""
    text = text.strip()
    if len(text) > ApiKey._meta.get_field("prefix").max_length:
        return ApiKey.objects.filter(key_hash=hash_key(text))
    return ApiKey.objects.filter(prefix__startswith=text)


class ShopPrincipal:
    """The authenticated caller: a shop, acting through one of its keys."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, shop: Shop):
        self.shop = shop

    def __str__(self):
        return self.shop.domain


LAST_USED_RESOLUTION = timedelta(minutes=1)


def _note_use(key: ApiKey) -> None:
    """Record when a key was last used, at most once a minute: a write on every request would cost the
    hot read paths (status polling) a commit each."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <key>'.")
        try:
            raw_key = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid API key.") from exc
        key = (
            ApiKey.objects.select_related("shop")
            .filter(key_hash=hash_key(raw_key), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        _note_use(key)
        bind_log_context(shop_id=key.shop_id)  # the request's log lines carry the shop (forgotten at its end)
        return ShopPrincipal(key.shop), key

    def authenticate_header(self, request):
        return self.keyword
