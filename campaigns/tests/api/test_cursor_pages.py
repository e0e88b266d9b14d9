"""Cursor pages on every list (contacts, campaigns, recipients): a cursor the server did not issue is a 400
`invalid_cursor`, never a 500; the contacts list no longer counts the shop's contacts."""

import base64
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.tests.support.factories import CampaignFactory, ContactFactory, ShopFactory
from campaigns.tests.support.report_helpers import campaign_with_recipients

pytestmark = pytest.mark.django_db


def _cursor(querystring: str) -> str:
    return quote(base64.b64encode(querystring.encode()).decode())


FORGED = [
    _cursor("p=abc"),  # a position that is no id: the id filter would raise
    _cursor("p=1%00"),  # a NUL byte PostgreSQL refuses
    _cursor("p=99999999999999999999999"),  # beyond bigint
    _cursor("p=-5"),
    _cursor("p=" + "9" * 5000),  # more digits than int() converts
    _cursor("p=%D9%A3"),  # an Arabic-Indic digit: str.isdigit() says yes, int() reads 3
    _cursor("o=abc"),
    _cursor("r=maybe"),
    "not-base64-at-all!",
    "%ZZ",
]


@pytest.fixture
def lists(shop):
    campaign = campaign_with_recipients(3, shop=shop)
    ContactFactory.create_batch(3, shop=shop)
    return ["/api/v1/contacts/", "/api/v1/campaigns/", f"/api/v1/campaigns/{campaign.id}/recipients/"]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_cursor_not_issued_by_the_server_is_400_invalid_cursor(api, lists, cursor):
    for url in lists:
        response = api.get(f"{url}?cursor={cursor}")
        assert response.status_code == 400, (url, response.content)
        assert response.json()["reason"] == "invalid_cursor"


@pytest.mark.parametrize("query", [
    "page=1&page=2", "page_size=1&page_size=2", "tag=a&tag=b", "status=sent&status=failed",
    "opted_out=true&opted_out=false", "cursor={issued}&cursor={issued}",
])
def test_a_parameter_given_more_than_once_is_refused(api, lists, query):
    first = api.get(f"{lists[0]}?page_size=1").json()
    issued = first["next"].split("cursor=")[1].split("&")[0]
    for url in lists:
        response = api.get(f"{url}?{query.format(issued=issued)}")
        assert response.status_code == 400, (url, query)
        assert response.json()["reason"] == "validation_error"
        assert query.split("=")[0] in response.json()["errors"]


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1001", "1e3", "%D9%A3", "9" * 5000])
def test_a_page_size_out_of_range_is_400(api, lists, page_size):
    for url in lists:
        response = api.get(f"{url}?page_size={page_size}")
        assert response.status_code == 400 and response.json()["reason"] == "validation_error"


def test_contacts_are_paged_by_cursor_with_filters_and_without_a_count(api, shop):
    tagged = [ContactFactory(shop=shop, tags=["vip"]).id for _ in range(7)]
    ContactFactory.create_batch(2, shop=shop)
    ContactFactory(shop=ShopFactory(), tags=["vip"])
    seen, url = [], "/api/v1/contacts/?tag=vip&opted_out=false&page_size=3"
    with CaptureQueriesContext(connection) as queries:
        while url:
            body = api.get(url).json()
            assert "count" not in body
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
    assert seen == tagged
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_campaigns_are_paged_newest_first(api, shop):
    ids = [CampaignFactory(shop=shop).id for _ in range(5)]
    first = api.get("/api/v1/campaigns/?page_size=2").json()
    second = api.get(first["next"]).json()
    assert [row["id"] for row in first["results"] + second["results"]] == ids[::-1][:4]
