"""GET /api/v1/shopify: the calling shop's Shopify connection and sync progress."""

from datetime import UTC, datetime

import pytest

from campaigns.models import ShopifyInstall
from shopify.tokens import encrypt_token

pytestmark = pytest.mark.django_db


def test_a_shop_never_installed_reads_as_not_connected(api):
    answer = api.get("/api/v1/shopify")
    assert answer.status_code == 200
    assert answer.json() == {"connected": False, "scopes": [], "lastSyncAt": None, "sync": {
        "state": "idle", "customersSeen": 0, "contactsCreated": 0, "contactsUpdated": 0, "skippedNoPhone": 0}}


def test_an_installed_shop_shows_its_scopes_and_sync(api, shop):
    synced = datetime(2026, 12, 1, 10, tzinfo=UTC)
    ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token("shpat_x"), scopes="read_customers,read_orders",
                                  sync_state="done", last_sync_at=synced, customers_seen=10, contacts_created=7,
                                  contacts_updated=2, skipped_no_phone=1)
    body = api.get("/api/v1/shopify").json()
    sync = {"state": "done", "customersSeen": 10, "contactsCreated": 7, "contactsUpdated": 2, "skippedNoPhone": 1}
    assert body == {"connected": True, "scopes": ["read_customers", "read_orders"],
                    "lastSyncAt": "2026-12-01T10:00:00Z", "sync": sync}
    assert "shpat" not in str(body)


def test_without_a_key_401(anon_api):
    assert anon_api.get("/api/v1/shopify").status_code == 401
