"""Revoking an API key: `manage.py revoke_api_key PREFIX` and the superuser's admin action, both at once."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from campaigns.api.auth import api_key_create
from campaigns.models import ApiKey
from campaigns.tests.support.admin_helpers import changelist, merchant_client, superuser_client
from campaigns.tests.support.factories import ShopFactory
from campaigns.tests.test_commands import manage

pytestmark = pytest.mark.django_db


def shop_status(raw_key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client.get("/api/v1/shop").status_code


def revoke(text: str) -> str:
    out = io.StringIO()
    call_command("revoke_api_key", text, stdout=out)
    return out.getvalue()


def test_revoke_by_prefix_refuses_the_key_at_once_and_keeps_the_others(shop, shop_key):
    other = api_key_create(shop=shop)
    assert shop_status(shop_key) == 200
    output = revoke(shop_key[:12])
    assert "Revoked the key" in output and shop.domain in output
    assert shop_status(shop_key) == 401
    assert shop_status(other) == 200
    assert "revoked already" in revoke(shop_key[:12])


def test_revoke_by_the_whole_key(shop, shop_key):
    revoke(shop_key)
    assert shop_status(shop_key) == 401


def test_an_unknown_prefix_exits_1_with_a_clear_message(shop, shop_key):
    with pytest.raises(CommandError, match="No API key has the prefix 'sk_zzzzzzzzz'"):
        revoke("sk_zzzzzzzzz")
    assert shop_status(shop_key) == 200


def test_an_ambiguous_or_too_short_prefix_is_refused_and_revokes_nothing(shop):
    keys = [api_key_create(shop=shop) for _ in range(2)]
    ApiKey.objects.update(prefix="sk_Same12345")
    with pytest.raises(CommandError, match="ambiguous: it matches 2 active keys"):
        revoke("sk_Same")
    with pytest.raises(CommandError, match="at least 7 characters"):
        revoke("sk_")
    assert [shop_status(key) for key in keys] == [200, 200]


def test_the_command_exits_1_from_the_shell(transactional_db):
    result = manage("revoke_api_key", "sk_nothing1")
    assert result.returncode == 1
    assert "No API key has the prefix" in result.stderr


def test_a_superuser_revokes_keys_from_the_admin(shop, shop_key):
    kept = api_key_create(shop=ShopFactory())
    client = superuser_client()
    key = ApiKey.objects.get(prefix=shop_key[:12])
    response = client.post(changelist("apikey"), {"action": "revoke", "_selected_action": [key.id]}, follow=True)
    assert response.status_code == 200
    assert "Revoked 1 key" in response.content.decode()
    assert shop_status(shop_key) == 401 and shop_status(kept) == 200


def test_a_merchant_cannot_see_or_revoke_keys(shop, shop_key):
    client = merchant_client(shop)
    key = ApiKey.objects.get(prefix=shop_key[:12])
    response = client.post(changelist("apikey"), {"action": "revoke", "_selected_action": [key.id]})
    assert response.status_code == 403
    assert shop_status(shop_key) == 200
