"""The Shopify install in the admin: a merchant sees its own connection and sync progress, never a token nor
another shop's install; the raw webhooks are for superusers only."""

import pytest

from campaigns.models import ShopifyDataExport, ShopifyInstall, ShopifyWebhook
from campaigns.tests.support.admin_helpers import change, changelist, merchant_client, superuser_client
from campaigns.tests.support.factories import ShopFactory
from shopify.tokens import encrypt_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def installs():
    mine, theirs = ShopFactory(domain="mine.myshopify.com"), ShopFactory(domain="theirs.myshopify.com")
    made = [ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token("shpat_secret_value"),
                                          customers_seen=1234, sync_state="running") for shop in (mine, theirs)]
    return mine, made


def test_a_merchant_sees_its_own_install_without_tokens(installs):
    mine, (own, other) = installs
    client = merchant_client(mine)
    listing = client.get(changelist("shopifyinstall"))
    assert listing.status_code == 200 and b"mine.myshopify.com" in listing.content
    assert b"theirs.myshopify.com" not in listing.content and b"1234" in listing.content
    detail = client.get(change("shopifyinstall", own.pk))
    assert detail.status_code == 200 and own.access_token.encode() not in detail.content
    assert client.get(change("shopifyinstall", other.pk)).status_code in (302, 404)


def test_webhooks_are_for_superusers_only(installs):
    mine, _ = installs
    ShopifyWebhook.objects.create(webhook_id="w-1", topic="customers/update", shop_domain=mine.domain, body="{}")
    assert merchant_client(mine).get(changelist("shopifywebhook")).status_code == 403
    listing = superuser_client().get(changelist("shopifywebhook"))
    assert listing.status_code == 200 and b"w-1" in listing.content


def test_a_merchant_lists_and_downloads_its_own_data_exports_only(installs):
    mine, _ = installs
    theirs = ShopFactory(domain="other.myshopify.com")
    own = ShopifyDataExport.objects.create(shop=mine, customer_id=77, request_id=9, webhook_id="dr-1",
                                           data={"contacts": [{"first_name": "Grace"}]})
    other = ShopifyDataExport.objects.create(shop=theirs, customer_id=78, webhook_id="dr-2", data={})
    client = merchant_client(mine)
    listing = client.get(changelist("shopifydataexport"))
    assert listing.status_code == 200 and b"download" in listing.content
    downloaded = client.get(f"/admin/campaigns/shopifydataexport/{own.pk}/download/")
    assert downloaded.status_code == 200 and downloaded["Content-Disposition"].startswith("attachment")
    assert downloaded.json() == {"contacts": [{"first_name": "Grace"}]}
    assert client.get(f"/admin/campaigns/shopifydataexport/{other.pk}/download/").status_code == 404
