import io
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from campaigns.models import CreditTransaction, Shop


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def shop_answer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get("/api/v1/shop")


def test_create_shop_prints_a_working_key_on_the_last_line(db):
    lines = run("create_shop", "Example.myshopify.com", "--credits", "5000", "--sender", "Example")
    response = shop_answer(lines[-1])
    assert response.status_code == 200
    assert response.json() == {
        "domain": "example.myshopify.com", "name": "example.myshopify.com", "credits": 5000, "credits_held": 0,
        "sender": "Example", "senders": ["Example"],
    }


def test_opening_credits_are_a_topup_in_the_ledger(db):
    run("create_shop", "ledger.example", "--credits", "1234")
    shop = Shop.objects.get(domain="ledger.example")
    ledger = CreditTransaction.objects.filter(shop=shop)
    assert list(ledger.values_list("kind", "delta", "held_delta")) == [("topup", 1234, 0)]
    assert ledger.aggregate(total=Sum("delta"))["total"] == shop.credits


def test_a_shop_without_credits_has_an_empty_ledger(db):
    run("create_shop", "empty.example")
    assert Shop.objects.get(domain="empty.example").credits == 0
    assert not CreditTransaction.objects.exists()


def manage(*args) -> subprocess.CompletedProcess:
    """Run manage.py as ops do, in a process of its own, against this test run's database."""
    db = connection.settings_dict
    credentials = f"{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}"
    database_url = f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60,
    )


def test_manage_py_create_shop_prints_the_key_last_and_refuses_a_taken_domain(transactional_db):
    created = manage("create_shop", "taken.example", "--credits", "10")
    assert created.returncode == 0, created.stderr
    assert shop_answer(created.stdout.splitlines()[-1]).json()["credits"] == 10
    again = manage("create_shop", "TAKEN.example")
    assert again.returncode == 1
    assert "A shop with domain taken.example exists already." in again.stderr
    assert again.stdout == ""
    assert Shop.objects.filter(domain="taken.example").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad domain!"], "domain: Must be a domain name"),
        (["ok.example", "--credits", "-1"], "credits: Must be between 0"),
        (["ok.example", "--credits", str(2**63)], "credits: Must be between 0"),
        (["ok.example", "--sender", "x"], "sender: Must be 3–11 letters"),
    ],
)
def test_bad_arguments_are_command_errors_and_create_nothing(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_shop", *args)
    assert not Shop.objects.exists()


def test_create_api_key_prints_a_further_working_key(db):
    first = run("create_shop", "keys.example")[-1]
    second = run("create_api_key", "keys.example")[-1]
    assert first != second
    assert shop_answer(first).status_code == shop_answer(second).status_code == 200
    assert shop_answer(second).json()["domain"] == "keys.example"


def test_create_api_key_for_an_unknown_domain_is_an_error_with_exit_status_1(db):
    with pytest.raises(CommandError, match="No shop with domain 'nobody.example'") as refused:
        run("create_api_key", "nobody.example")
    assert refused.value.returncode == 1


def test_add_credits_is_a_topup_in_the_ledger_with_its_note(db):
    run("create_shop", "topup.example", "--credits", "100")
    lines = run("add_credits", "topup.example", "2500", "--note", "goodwill after outage")
    shop = Shop.objects.get(domain="topup.example")
    assert shop.credits == 2600 and lines == ["Added 2500 credits to topup.example: 2600 free, 0 held."]
    last = CreditTransaction.objects.filter(shop=shop).latest("id")
    assert (last.kind, last.delta, last.held_delta, last.note) == ("topup", 2500, 0, "goodwill after outage")
    assert CreditTransaction.objects.filter(shop=shop).aggregate(total=Sum("delta"))["total"] == shop.credits


@pytest.mark.parametrize("args, message", [
    (("nosuch.example", "10"), "No shop has the domain nosuch.example."),
    (("topup2.example", "0"), "amount: Must be a whole number"),
    (("topup2.example", "-5"), "amount: Must be a whole number"),
    (("topup2.example", "5", "--note", "x" * 201), "note: At most 200 characters."),
])
def test_add_credits_refuses_unknown_shops_and_bad_amounts_changing_nothing(db, args, message):
    run("create_shop", "topup2.example", "--credits", "7")
    with pytest.raises(CommandError, match=message):
        call_command("add_credits", *args, stdout=io.StringIO())
    assert Shop.objects.get(domain="topup2.example").credits == 7


def test_manage_py_add_credits_for_an_unknown_domain_exits_1(transactional_db):
    refused = manage("add_credits", "nosuch.example", "10")
    assert refused.returncode == 1 and "No shop has the domain nosuch.example." in refused.stderr
