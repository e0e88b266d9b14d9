"""The merchant owns their shop's settings: a settings page in merchant words (sending window and frequency
presets, opt-out language, HELP and STOP answers, time zone, default sender from the registered ones); a
refusal keeps what was typed; ops-only fields are neither shown nor changeable; new shops add opt-out language."""

from datetime import time

import pytest

from campaigns.models import Shop
from campaigns.services.senders import shop_sender_add
from campaigns.services.shops import shop_create
from campaigns.tests.support.admin_helpers import change, merchant_client, superuser_client
from campaigns.tests.support.factories import ShopFactory

pytestmark = pytest.mark.django_db
SETTINGS = "/admin/campaigns/shop/settings/"


def settings_form(**fields):
    return {"name": "Boutique", "window": "9-20", "quiet_hours_start": "08:00", "quiet_hours_end": "21:00",
            "frequency_cap_hours": "24", "append_opt_out": "on", "opt_out_text": "", "help_text": "Call us",
            "stop_confirmation_text": "", "timezone": "America/New_York", "default_region": "US", "sender": "",
            **fields}


def test_a_merchant_saves_the_settings_with_presets():
    shop = ShopFactory(traffic_account_id="ta-secret", credits=40)
    shop_sender_add(shop=shop, sender="Boutique")
    client = merchant_client(shop)
    page = client.get(SETTINGS).content.decode()
    assert "Sending window" in page and "ta-secret" not in page and "traffic" not in page.lower()
    assert client.post(SETTINGS, settings_form(sender="Boutique", traffic_account_id="x", credits="999999",
                                               is_active="")).status_code == 302
    shop.refresh_from_db()
    assert (shop.quiet_hours_start, shop.quiet_hours_end, shop.frequency_cap_hours) == (time(9), time(20), 24)
    assert (shop.timezone, shop.sender, shop.help_text, shop.append_opt_out) == (
        "America/New_York", "Boutique", "Call us", True)
    assert (shop.traffic_account_id, shop.credits, shop.is_active) == ("ta-secret", 40, True)


@pytest.mark.parametrize("field, value", [("timezone", "Mars/Olympus"), ("sender", "NotMine")])
def test_a_refused_setting_keeps_what_was_typed_and_saves_nothing(field, value):
    shop = ShopFactory()
    page = merchant_client(shop).post(SETTINGS, settings_form(**{field: value}, help_text="Typed"))
    assert page.status_code == 200 and field in page.context["form"].errors
    assert page.context["form"]["help_text"].value() == "Typed"
    assert Shop.objects.get(id=shop.id).help_text == ""


def test_the_shop_page_hides_ops_fields_from_merchants_and_links_the_settings():
    shop = ShopFactory(traffic_account_id="ta-secret")
    page = merchant_client(shop).get(change("shop", shop.id)).content.decode()
    assert "ta-secret" not in page and SETTINGS in page


def test_a_superuser_has_no_merchant_settings_page():
    assert superuser_client().get(SETTINGS).status_code == 403


def test_a_new_shop_adds_opt_out_language():
    assert shop_create(domain="new.myshopify.com").append_opt_out is True
