import pytest

from campaigns.models import Campaign, CampaignRecipient, CreditTransaction
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.admin_helpers import change, changelist, merchant_client, superuser_client
from campaigns.tests.support.send_helpers import add_contacts, funded_shop, sending_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_shops(no_dispatch):
    """Shops A and B, each with a contact, an enqueued campaign (so recipients) and ledger rows."""
    shops = []
    for name in ("alpha", "beta"):
        shop = funded_shop(1000, domain=f"{name}.myshopify.com")
        add_contacts(shop, 2, start=100 if name == "beta" else 0)
        campaign = sending_campaign(shop, name=f"{name}-campaign")
        campaign_enqueue(shop=shop, campaign_id=campaign.id)
        shops.append(shop)
    return shops


def objects_of(shop):
    return {
        "contact": shop.contacts.first(),
        "campaign": Campaign.objects.get(shop=shop),
        "campaignrecipient": CampaignRecipient.objects.filter(campaign__shop=shop).first(),
        "credittransaction": CreditTransaction.objects.filter(shop=shop).first(),
        "shop": shop,
    }


MODELS = ["contact", "campaign", "campaignrecipient", "credittransaction", "shop"]


@pytest.mark.parametrize("model", MODELS)
def test_merchant_lists_and_opens_only_their_shop(two_shops, model):
    shop_a, shop_b = two_shops
    client = merchant_client(shop_a)
    own, foreign = objects_of(shop_a)[model], objects_of(shop_b)[model]
    listing = client.get(changelist(model) + ("?view=rows" if model == "credittransaction" else ""))
    assert listing.status_code == 200
    shown = {obj.pk for obj in listing.context["cl"].result_list}
    assert own.pk in shown and foreign.pk not in shown
    assert client.get(change(model, own.pk)).status_code == 200
    opened = client.get(change(model, foreign.pk))
    assert opened.status_code == 302 and opened.url == "/admin/"


@pytest.mark.parametrize("model, param", [
    ("contact", "shop__id__exact"), ("campaign", "shop__id__exact"),
    ("campaignrecipient", "campaign__id__exact"), ("credittransaction", "shop__id__exact"),
])
def test_merchant_cannot_filter_to_another_shop(two_shops, model, param):
    shop_a, shop_b = two_shops
    target = Campaign.objects.get(shop=shop_b).id if param.startswith("campaign") else shop_b.id
    response = merchant_client(shop_a).get(changelist(model), {param: target})
    results = list(response.context["cl"].result_list) if response.status_code == 200 else []
    foreign = objects_of(shop_b)[model]
    assert response.status_code in (200, 302) and foreign.pk not in {obj.pk for obj in results}


def test_filter_choices_offer_only_own_campaigns(two_shops):
    shop_a, shop_b = two_shops
    response = merchant_client(shop_a).get(changelist("campaignrecipient"))
    assert b"alpha-campaign" in response.content and b"beta-campaign" not in response.content


def test_merchant_cannot_act_on_another_shops_campaign(two_shops):
    shop_a, shop_b = two_shops
    foreign = Campaign.objects.get(shop=shop_b)
    response = merchant_client(shop_a).post(
        changelist("campaign"), {"action": "cancel", "_selected_action": [foreign.id]}, follow=True
    )
    assert response.status_code == 200
    foreign.refresh_from_db()
    assert foreign.status == Campaign.Status.SENDING


def test_merchant_status_view_of_another_shop_is_not_found(two_shops):
    shop_a, shop_b = two_shops
    client = merchant_client(shop_a)
    own, foreign = Campaign.objects.get(shop=shop_a), Campaign.objects.get(shop=shop_b)
    answer = client.get(f"/admin/campaigns/campaign/{own.id}/status/")
    assert answer.json()["campaign"]["total"] == 2
    assert client.get(f"/admin/campaigns/campaign/{foreign.id}/status/").status_code == 404


def test_new_campaign_belongs_to_the_merchants_shop(two_shops):
    shop_a, _ = two_shops
    response = merchant_client(shop_a).post(
        "/admin/campaigns/campaign/add/", {"name": "Spring", "body": "Hi {{ first_name }}", "sender": "",
                                           "audience": "", "scheduled_at_0": "", "scheduled_at_1": ""},
    )
    assert response.status_code == 302
    created = Campaign.objects.get(name="Spring")
    assert created.shop == shop_a and created.status == Campaign.Status.DRAFT and created.segments == 1


def test_merchant_cannot_create_in_another_shop(two_shops):
    shop_a, shop_b = two_shops
    merchant_client(shop_a).post(
        "/admin/campaigns/campaign/add/", {"shop": shop_b.id, "name": "Sneaky", "body": "Hi", "audience": ""},
    )
    assert Campaign.objects.get(name="Sneaky").shop == shop_a


@pytest.mark.parametrize("model", MODELS)
def test_superuser_sees_both_shops(two_shops, model):
    client = superuser_client()
    shown = {obj.pk for obj in client.get(changelist(model)).context["cl"].result_list}
    assert {objects_of(shop)[model].pk for shop in two_shops} <= shown


def test_merchant_cannot_change_ledger_or_shop(two_shops):
    shop_a, _ = two_shops
    client = merchant_client(shop_a)
    row = CreditTransaction.objects.filter(shop=shop_a).first()
    response = client.post(change("credittransaction", row.id), {"delta": 999999})
    assert response.status_code == 403
    assert client.post(change("shop", shop_a.id), {"credits": 10**9}).status_code == 403
    shop_a.refresh_from_db()
    assert shop_a.credits < 10**9


def test_list_pages_never_count_every_row(two_shops):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = merchant_client(two_shops[0])
    for model in ("campaignrecipient", "credittransaction", "campaign", "contact"):
        rows = "?view=rows" if model == "credittransaction" else ""  # its bare page is the bounded summary
        with CaptureQueriesContext(connection) as queries:
            assert client.get(changelist(model) + rows).status_code == 200
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        if model in ("campaignrecipient", "credittransaction"):
            assert counts and all("LIMIT" in sql.upper() for sql in counts)
        assert len(queries) < 20
