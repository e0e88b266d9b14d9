import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Contact
from campaigns.tests.support.admin_helpers import merchant_client, superuser_client
from campaigns.tests.support.factories import ShopFactory

pytestmark = pytest.mark.django_db

CSV = (
    "phone,first_name,last_name,sms_consent,tags\n"
    "+306911111111,Anna,Pappa,yes,vip;spring\n"
    "not-a-phone,Bad,Row,yes,\n"
    "+306922222222,Nick,K,maybe,\n"
    "+306933333333,,,no,\n"
)


def upload(client, shop, text=CSV):
    return client.post("/admin/campaigns/contact/import/",
                       {"shop": shop.id, "file": SimpleUploadedFile("c.csv", text.encode(), "text/csv")})


def test_import_writes_valid_rows_and_reports_rejected_ones_with_their_reason():
    shop = ShopFactory(default_region="GR")
    page = upload(merchant_client(shop), shop)
    report = page.context["report"]
    assert (report["created"], report["updated"]) == (2, 0)
    assert [(r["line"], r["phone"]) for r in report["rejected"]] == [(3, "not-a-phone"), (4, "+306922222222")]
    assert "phone" in report["rejected"][0]["error"] and "sms_consent" in report["rejected"][1]["error"]
    assert b"not-a-phone" in page.content
    anna = Contact.objects.get(shop=shop, phone="+306911111111")
    assert (anna.first_name, anna.sms_consent, anna.tags) == ("Anna", True, ["vip", "spring"])
    assert Contact.objects.get(shop=shop, phone="+306933333333").sms_consent is False


def test_a_merchant_cannot_import_into_another_shop():
    shop_a, shop_b = ShopFactory(), ShopFactory()
    upload(merchant_client(shop_a), shop_b)
    assert Contact.objects.filter(shop=shop_b).count() == 0


def test_superuser_imports_into_the_shop_chosen():
    _, shop_b = ShopFactory(), ShopFactory()
    upload(superuser_client(), shop_b, "phone,sms_consent\n+306944444444,true\n")
    assert list(Contact.objects.values_list("shop_id", "phone")) == [(shop_b.id, "+306944444444")]


def test_invite_merchant_prints_a_password_once_and_grants_merchant_permissions():
    from django.contrib.auth.models import User
    from django.core.management import call_command

    shop = ShopFactory(domain="tea.myshopify.com")
    out = io.StringIO()
    call_command("invite_merchant", "tea.myshopify.com", "owner@tea.com", stdout=out)
    password = out.getvalue().rsplit(": ", 1)[1].strip()
    user = User.objects.get(username="owner@tea.com")
    assert user.is_staff and not user.is_superuser and user.check_password(password)
    assert user.shop_membership.shop == shop
    assert user.has_perm("campaigns.add_campaign") and not user.has_perm("campaigns.change_credittransaction")
