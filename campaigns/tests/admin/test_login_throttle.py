"""Admin sign-in is throttled: after the Nth wrong password the username is locked out from that address for a
while, and even the right password is then refused."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "a-long-correct-password"


@pytest.fixture
def staff(settings):
    settings.ADMIN_LOGIN_FAILURE_LIMIT = 3
    return User.objects.create_superuser("ops", "ops@example.com", PASSWORD)


def sign_in(password: str, username: str = "ops", address: str = "203.0.113.7") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return client


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_nth_wrong_password_locks_the_username_and_the_right_one_is_then_refused(staff):
    for _ in range(3):
        assert not signed_in(sign_in("wrong"))
    client = Client(REMOTE_ADDR="203.0.113.7")
    response = client.post(LOGIN, {"username": "ops", "password": PASSWORD, "next": "/admin/"})
    assert not signed_in(client)
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_the_lock_is_per_username_and_address(staff):
    User.objects.create_superuser("other", "other@example.com", PASSWORD)
    for _ in range(3):
        sign_in("wrong")
    assert signed_in(sign_in(PASSWORD, address="198.51.100.9"))
    assert signed_in(sign_in(PASSWORD, username="other"))


def test_fewer_failures_than_the_limit_do_not_lock_and_a_success_forgets_them(staff):
    for _ in range(2):
        sign_in("wrong")
    assert signed_in(sign_in(PASSWORD))
    for _ in range(2):
        sign_in("wrong")
    assert signed_in(sign_in(PASSWORD))


def test_a_cache_outage_neither_locks_out_nor_breaks_sign_in(staff, monkeypatch):
    from campaigns.admin import login_throttle

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("get", "add", "incr", "set", "delete"):
        monkeypatch.setattr(login_throttle.cache, name, down)
    assert not signed_in(sign_in("wrong"))
    assert signed_in(sign_in(PASSWORD))
