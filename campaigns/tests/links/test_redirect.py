"""The send path puts each recipient's short links in its message; `GET /l/{code}` redirects
(services/links/redirect.py, campaigns/redirect/views.py)."""

import pytest
import responses

from campaigns.models import Campaign, CampaignLink, CampaignRecipient
from campaigns.services.links.codes import RECIPIENT, code_make, code_read, one_off_codes
from campaigns.services.links.redirect import utm_added
from campaigns.services.sending.batch_send import batch_send
from campaigns.tests.support.send_helpers import bulk_bodies, enqueued_batch, mitto_accepts

pytestmark = pytest.mark.django_db

BODY = "Hi {{ first_name }}: https://shop.example/sale?x=1 and https://shop.example/new"


@responses.activate
def test_each_message_carries_its_recipients_own_short_links_and_the_urls_are_stored_once(no_dispatch, settings):
    shop, campaign, batch = enqueued_batch(3, body=BODY)
    mitto_accepts()

    batch_send(batch_id=batch.id)

    assert list(CampaignLink.objects.filter(campaign=campaign).order_by("position").values_list("url", flat=True)) == [
        "https://shop.example/sale?x=1", "https://shop.example/new"]
    for message in bulk_bodies()[0]["messages"]:
        rid = int(message["reference"][2:])
        text = message["sms"]["text"]
        assert "shop.example" not in text
        codes = [word.rsplit("/", 1)[1] for word in text.split() if word.startswith(settings.LINK_BASE_URL)]
        assert [code_read(code) for code in codes] == [
            code_read(code_make(kind=RECIPIENT, position=p, ident=rid)) for p in (0, 1)]


def _recipient(campaign: Campaign) -> CampaignRecipient:
    return CampaignRecipient.objects.filter(campaign=campaign).order_by("id").first()


def test_a_valid_code_redirects_with_utm_added(client, no_dispatch):
    _, campaign, _ = enqueued_batch(1, body=BODY)
    code = code_make(kind=RECIPIENT, position=0, ident=_recipient(campaign).id)

    response = client.get(f"/l/{code}")

    assert response.status_code == 302
    assert response["Location"] == (
        f"https://shop.example/sale?x=1&utm_source=shopsms&utm_medium=sms&utm_campaign={campaign.id}")


@pytest.mark.parametrize("status", [Campaign.Status.CANCELLED, Campaign.Status.COMPLETED])
def test_links_of_cancelled_and_long_finished_campaigns_still_redirect(client, no_dispatch, status):
    _, campaign, _ = enqueued_batch(1, body=BODY)
    Campaign.objects.filter(id=campaign.id).update(status=status)
    code = code_make(kind=RECIPIENT, position=1, ident=_recipient(campaign).id)

    assert client.get(f"/l/{code}")["Location"].startswith("https://shop.example/new?utm_source=shopsms")


def test_unknown_tampered_and_unissued_codes_are_a_plain_404(client, no_dispatch):
    _, campaign, _ = enqueued_batch(1, body=BODY)
    good = code_make(kind=RECIPIENT, position=0, ident=_recipient(campaign).id)
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    no_such_recipient = code_make(kind=RECIPIENT, position=0, ident=_recipient(campaign).id + 1000)
    no_such_position = code_make(kind=RECIPIENT, position=5, ident=_recipient(campaign).id)

    for code in (tampered, no_such_recipient, no_such_position, "nonsense", "%00%ff", "x" * 500):
        response = client.get(f"/l/{code}")
        assert response.status_code == 404
        assert b"Link not found" in response.content


def test_head_is_answered_and_other_methods_refused(client, no_dispatch):
    _, campaign, _ = enqueued_batch(1, body=BODY)
    code = code_make(kind=RECIPIENT, position=0, ident=_recipient(campaign).id)
    assert client.head(f"/l/{code}").status_code == 302
    assert client.post(f"/l/{code}").status_code == 405


def test_a_test_sends_links_redirect_too(client, no_dispatch):
    _, campaign, _ = enqueued_batch(1, body=BODY)
    (code,) = one_off_codes(campaign_id=campaign.id, count=1)
    assert client.get(f"/l/{code}")["Location"].startswith("https://shop.example/sale?x=1&utm_source=shopsms")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://s.io/p", "https://s.io/p?utm_source=shopsms&utm_medium=sms&utm_campaign=7"),
    ("https://s.io/p?a=1&b=%20x", "https://s.io/p?a=1&b=%20x&utm_source=shopsms&utm_medium=sms&utm_campaign=7"),
    ("https://s.io/p?x=1#frag", "https://s.io/p?x=1&utm_source=shopsms&utm_medium=sms&utm_campaign=7#frag"),
    ("https://s.io/#/route?y", "https://s.io/?utm_source=shopsms&utm_medium=sms&utm_campaign=7#/route?y"),
    ("https://s.io/p?utm_source=ig&utm_campaign=spring",
     "https://s.io/p?utm_source=ig&utm_campaign=spring&utm_medium=sms"),
    ("https://bücher.de/straße?q=ä", "https://xn--bcher-kva.de/straße?q=ä&utm_source=shopsms&utm_medium=sms"
                                     "&utm_campaign=7"),
])
def test_utm_parameters_are_added_around_what_the_url_has(url, expected):
    assert utm_added(url, campaign_id=7) == expected


def test_a_non_ascii_url_leaves_as_an_ascii_location(client, no_dispatch):
    _, campaign, _ = enqueued_batch(1, body="Neu: https://bücher.de/straße?q=ä")
    code = code_make(kind=RECIPIENT, position=0, ident=_recipient(campaign).id)
    location = client.get(f"/l/{code}")["Location"]
    assert location.isascii()
    assert location.startswith("https://xn--bcher-kva.de/stra%C3%9Fe?q=%C3%A4&utm_source=shopsms")
