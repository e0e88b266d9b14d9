"""The console is "Shop SMS": its header and titles, the shop's name and balance on the index, no "View site"
link to nowhere, a favicon on every page."""

import pytest

from campaigns.tests.support.admin_helpers import changelist, merchant_client
from campaigns.tests.support.factories import ShopFactory

pytestmark = pytest.mark.django_db


def test_the_index_names_the_shop_and_its_balance():
    shop = ShopFactory(name="Boutique Athena", credits=1234)
    page = merchant_client(shop).get("/admin/").content.decode()
    assert "Boutique Athena" in page and '<strong class="sms-balance">1234</strong>' in page
    assert "Shop SMS" in page and "Django administration" not in page and "View site" not in page


def test_every_page_has_the_title_and_a_favicon():
    page = merchant_client(ShopFactory()).get(changelist("campaign")).content.decode()
    assert "| Shop SMS</title>" in page and 'rel="icon"' in page and "campaigns/favicon.svg" in page
