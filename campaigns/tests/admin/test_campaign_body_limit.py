"""The campaign body limit of the API (1,600 characters) holds in the admin too: a longer body, a few MB even,
is a form error and nothing is saved; the live segment counter refuses it the same way."""

import pytest

from campaigns.fields import MAX_BODY_LENGTH
from campaigns.models import Campaign
from campaigns.tests.support.admin_helpers import merchant_client
from campaigns.tests.support.factories import CampaignFactory, ShopFactory

pytestmark = pytest.mark.django_db


def form(body: str) -> dict:
    return {"name": "Spring", "body": body, "sender": "", "audience": "", "scheduled_at_0": "",
            "scheduled_at_1": ""}


@pytest.mark.parametrize("length", [MAX_BODY_LENGTH + 1, 3 * 1024 * 1024])
def test_a_body_over_the_limit_is_a_form_error_on_add_and_change(length):
    shop = ShopFactory()
    client = merchant_client(shop)
    page = client.post("/admin/campaigns/campaign/add/", form("x" * length))
    assert page.status_code == 200
    assert f"at most {MAX_BODY_LENGTH} characters" in " ".join(page.context["adminform"].form.errors["body"])
    assert not Campaign.objects.exists()
    draft = CampaignFactory(shop=shop, body="Hi")
    page = client.post(f"/admin/campaigns/campaign/{draft.id}/change/", form("y" * length))
    assert page.status_code == 200 and "body" in page.context["adminform"].form.errors
    assert Campaign.objects.get(id=draft.id).body == "Hi"


def test_a_body_at_the_limit_is_saved():
    client = merchant_client(ShopFactory())
    assert client.post("/admin/campaigns/campaign/add/", form("x" * MAX_BODY_LENGTH)).status_code == 302
    assert len(Campaign.objects.get().body) == MAX_BODY_LENGTH


def test_the_segment_counter_refuses_a_body_over_the_limit():
    client = merchant_client(ShopFactory())
    answer = client.get("/admin/campaigns/campaign/measure/", {"body": "x" * (MAX_BODY_LENGTH + 1)}).json()
    assert f"at most {MAX_BODY_LENGTH} characters" in answer["error"]


@pytest.mark.django_db
def test_the_service_refuses_a_body_over_the_limit_for_every_caller():
    from django.core.exceptions import ValidationError

    from campaigns.fields import MAX_BODY_LENGTH
    from campaigns.services.campaigns import campaign_create
    from campaigns.tests.support.factories import ShopFactory

    shop = ShopFactory()
    with pytest.raises(ValidationError) as refused:
        campaign_create(shop=shop, data={"name": "Huge", "body": "x" * (MAX_BODY_LENGTH + 1)})
    assert "body" in refused.value.message_dict
    assert not shop.campaigns.exists()
