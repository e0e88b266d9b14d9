"""What `GET /api/v1/shopify` shows: whether the shop is connected to Shopify and how its sync stands."""

from campaigns.models import Shop, ShopifyInstall


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def shopify_status(*, shop: Shop) -> dict:
    """The install's connection and sync progress; a shop never installed from Shopify reads as not connected."""
    install = ShopifyInstall.objects.filter(shop=shop).first()
    if install is None:
        install = ShopifyInstall(shop=shop)
    return {
        "connected": install.connected,
        "scopes": [scope for scope in install.scopes.split(",") if scope],
        "lastSyncAt": _iso(install.last_sync_at),
        "sync": {"state": install.sync_state, "customersSeen": install.customers_seen,
                 "contactsCreated": install.contacts_created, "contactsUpdated": install.contacts_updated,
                 "skippedNoPhone": install.skipped_no_phone},
    }
