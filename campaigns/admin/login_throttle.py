"""Admin sign-in attempts throttled: after ADMIN_LOGIN_FAILURE_LIMIT wrong passwords for one username from one
address, that pair is locked out for ADMIN_LOGIN_LOCKOUT_S seconds, during which even the right password is
refused. Counted in the shared cache, so every web process sees the same count.

A cache outage never locks anyone out nor makes sign-in fail: the throttle is then skipped (and logged).
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver

logger = logging.getLogger(__name__)

LOCKED_OUT = "Too many failed sign-in attempts for this username: try again in {minutes} minutes."


def _key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    digest = hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_locked(request, username: str | None) -> bool:
    """Whether this username is locked out from this request's address."""
    try:
        return (cache.get(_key(request, username or "")) or 0) >= settings.ADMIN_LOGIN_FAILURE_LIMIT
    except Exception:  # noqa: BLE001 - any cache failure: sign-in goes on without the throttle
        logger.warning("login throttle: the cache is unavailable; not checked", exc_info=True)
        return False


@receiver(user_login_failed, dispatch_uid="campaigns.login_failure_counted")
def _failure_counted(sender, credentials, request=None, **kwargs):
    """Each failure counts; from the limit on, each (refused ones included) starts the lockout again."""
    key = _key(request, credentials.get("username") or "")
    try:
        cache.add(key, 0, timeout=settings.ADMIN_LOGIN_LOCKOUT_S)
        failures = cache.incr(key)
        if failures >= settings.ADMIN_LOGIN_FAILURE_LIMIT:
            cache.set(key, failures, timeout=settings.ADMIN_LOGIN_LOCKOUT_S)
    except Exception:  # noqa: BLE001
        logger.warning("login throttle: the cache is unavailable; failure not counted", exc_info=True)


@receiver(user_logged_in, dispatch_uid="campaigns.login_failures_forgotten")
def _failures_forgotten(sender, request, user, **kwargs):
    try:
        cache.delete(_key(request, user.get_username()))
    except Exception:  # noqa: BLE001
        logger.warning("login throttle: the cache is unavailable; count not reset", exc_info=True)


class ThrottledModelBackend(ModelBackend):
    """Django's backend, refusing a locked-out username before the password is even checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and login_locked(request, username):
            raise PermissionDenied("locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, saying so when the username is locked out."""

    def clean(self):
        if login_locked(self.request, self.cleaned_data.get("username")):
            minutes = max(1, settings.ADMIN_LOGIN_LOCKOUT_S // 60)
            raise ValidationError(LOCKED_OUT.format(minutes=minutes), code="locked_out")
        return super().clean()
