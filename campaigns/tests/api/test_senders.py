"""Senders are owned: ops register them (shop_sender, create_shop --sender), a campaign may name only one of its
shop's (400 invalid_sender in the API, a refusal in the admin), and GET /api/v1/shop lists them."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict, modelform_factory

from campaigns.admin.shops import ShopForm
from campaigns.models import Campaign, Shop, ShopSender
from campaigns.tests.support.admin_helpers import change, merchant_client, superuser_client
from campaigns.tests.support.factories import CampaignFactory, ContactFactory, ShopFactory
from campaigns.tests.support.send_helpers import api_for

pytestmark = pytest.mark.django_db


def shop_sender(*args) -> str:
    out = io.StringIO()
    call_command("shop_sender", *args, stdout=out)
    return out.getvalue()


def senders_of(shop) -> list[str]:
    return sorted(ShopSender.objects.filter(shop=shop).values_list("sender", flat=True))


def test_ops_register_and_remove_senders_and_the_shop_lists_them():
    shop = ShopFactory(sender="")
    assert "senders: Olive (default: Olive)" in shop_sender(shop.domain, "add", "Olive")
    shop_sender(shop.domain, "add", "306900000001")
    shop_sender(shop.domain, "add", "Olive")  # again: nothing changes
    assert api_for(shop).get("/api/v1/shop").json()["senders"] == ["306900000001", "Olive"]
    assert api_for(shop).get("/api/v1/shop").json()["sender"] == "Olive"

    shop_sender(shop.domain, "remove", "Olive")
    shop.refresh_from_db()
    assert (senders_of(shop), shop.sender) == (["306900000001"], "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "ab"], "sender: Must be 3–11 letters"),
        (["add", "My-Shop"], "sender: Must be 3–11 letters"),
        (["add", "12345678901234567"], "sender: Must be at most 16"),
        (["add", ""], "sender: A sender id is required"),
        (["add", "Taken"], "Taken is registered to taken.example"),
        (["add", "306900000099"], "shared fallback sender"),
        (["remove", "Nope"], "Nope is not registered to"),
        (["remove", "InUse"], "1 unfinished campaign"),
        (["sell", "Olive"], "invalid choice"),
    ],
)
def test_a_bad_sender_command_is_a_clear_error_and_changes_nothing(settings, args, message):
    settings.MITTO_SENDER = "+306900000099"
    ShopFactory(domain="taken.example", sender="Taken")
    shop = ShopFactory(domain="olive.example", sender="InUse")
    CampaignFactory(shop=shop, sender="InUse")
    with pytest.raises(CommandError, match=message):
        shop_sender("olive.example", *args)
    assert senders_of(shop) == ["InUse"]


def test_an_unknown_domain_is_an_error():
    with pytest.raises(CommandError, match="No shop with domain"):
        shop_sender("nowhere.example", "add", "Olive")


def test_a_sender_is_shared_only_when_ops_say_so():
    ShopFactory(domain="a.example", sender="Agency")
    other = ShopFactory(domain="b.example", sender="")
    shop_sender(other.domain, "add", "Agency", "--shared")
    assert senders_of(other) == ["Agency"]


def test_create_shop_registers_its_sender_and_refuses_another_shops():
    call_command("create_shop", "new.example", "--sender", "NewShop", stdout=io.StringIO())
    assert senders_of(Shop.objects.get(domain="new.example")) == ["NewShop"]
    with pytest.raises(CommandError, match="NewShop is registered to new.example"):
        call_command("create_shop", "copy.example", "--sender", "NewShop", stdout=io.StringIO())
    assert not Shop.objects.filter(domain="copy.example").exists()


def test_a_campaign_naming_another_shops_sender_is_400_invalid_sender():
    mine, theirs = ShopFactory(sender="Mine"), ShopFactory(sender="Theirs")
    api = api_for(mine)
    response = api.post("/api/v1/campaigns/", {"name": "x", "body": "Hi", "sender": "Theirs"}, format="json")
    assert (response.status_code, response.json()["reason"]) == (400, "invalid_sender")
    assert not Campaign.objects.exists()

    campaign = CampaignFactory(shop=mine, sender="")
    response = api.patch(f"/api/v1/campaigns/{campaign.id}/", {"sender": "Theirs"}, format="json")
    assert (response.status_code, response.json()["reason"]) == (400, "invalid_sender")
    campaign.refresh_from_db()
    assert campaign.sender == ""
    assert api.post("/api/v1/campaigns/", {"name": "x", "body": "Hi", "sender": "Mine"},
                    format="json").status_code == 201
    assert theirs.campaigns.count() == 0


def test_the_admin_form_refuses_another_shops_sender():
    mine, _ = ShopFactory(sender="Mine"), ShopFactory(sender="Theirs")
    client = merchant_client(mine)
    form = {"name": "Spring", "body": "Hi", "sender": "Theirs", "audience": "{}", "scheduled_at_0": "",
            "scheduled_at_1": ""}
    page = client.post("/admin/campaigns/campaign/add/", form, follow=True).content.decode()
    assert "invalid_sender" in page
    assert not Campaign.objects.exists()


def test_the_shop_admin_takes_only_a_registered_default_sender():
    shop = ShopFactory(sender="Mine")
    ShopFactory(sender="Theirs")
    assert "registered senders" in superuser_client().get(change("shop", shop.id)).content.decode()
    for sender, valid in (("Theirs", False), ("Mine", True), ("", True)):
        form = modelform_factory(Shop, form=ShopForm, fields="__all__")(
            instance=shop, data={**model_to_dict(shop), "sender": sender})
        assert form.is_valid() == valid, form.errors


def test_the_data_migration_registers_each_shops_own_sender():
    shop, bare = ShopFactory(sender="Olive"), ShopFactory(sender="")
    ShopSender.objects.all().delete()
    migration = importlib.import_module("campaigns.migrations.0009_shop_sender")
    migration.register_shop_senders(apps, None)
    assert (senders_of(shop), senders_of(bare)) == (["Olive"], [])


def test_a_campaign_from_before_the_registry_naming_another_shops_sender_is_not_enqueued():
    mine = ShopFactory(sender="Mine")
    ShopFactory(sender="Theirs")
    ContactFactory(shop=mine)
    campaign = CampaignFactory(shop=mine, sender="Theirs")
    response = api_for(mine).post(f"/api/v1/campaigns/{campaign.id}/enqueue")
    assert (response.status_code, response.json()["reason"]) == (400, "invalid_sender")
    campaign.refresh_from_db()
    assert campaign.status == "draft" and not campaign.recipients.exists()
