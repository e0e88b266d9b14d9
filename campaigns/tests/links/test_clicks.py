"""Clicks buffered by the redirect and written set-based (services/links/clicks.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import CampaignLinkStats, CampaignRecipient, LinkClick
from campaigns.services.links import clicks as clicks_module
from campaigns.services.links.clicks import Click, clicks_apply, clicks_flush, is_bot_request, stream_key
from campaigns.services.links.codes import RECIPIENT, code_make, one_off_codes
from campaigns.tests.support.send_helpers import enqueued_batch

pytestmark = pytest.mark.django_db

BODY = "Sale: https://shop.example/sale"
PHONE_BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def _sent_recipients(count: int, *, sent_ago=timedelta(hours=1)):
    _, campaign, _ = enqueued_batch(count, body=BODY)
    CampaignRecipient.objects.filter(campaign=campaign).update(status="sent", sent_at=timezone.now() - sent_ago)
    return campaign, list(CampaignRecipient.objects.filter(campaign=campaign).order_by("id"))


def _click(client, recipient, *, agent=PHONE_BROWSER, method="get"):
    code = code_make(kind=RECIPIENT, position=0, ident=recipient.id)
    return getattr(client, method)(f"/l/{code}", HTTP_USER_AGENT=agent)


def _stats(campaign) -> tuple:
    row = CampaignLinkStats.objects.filter(campaign=campaign).first()
    return (row.clicks, row.unique_clicks, row.bot_clicks) if row else (0, 0, 0)


def test_the_redirect_writes_nothing_and_the_flush_writes_clicks_first_click_and_counters(client, no_dispatch):
    campaign, (first, second, _) = _sent_recipients(3)
    for recipient in (first, first, second):
        assert _click(client, recipient).status_code == 302
    assert LinkClick.objects.count() == 0

    assert clicks_flush() == 3

    assert LinkClick.objects.filter(campaign=campaign, is_bot=False).count() == 3
    assert _stats(campaign) == (3, 2, 0)
    first_click = LinkClick.objects.filter(recipient_id=first.id).order_by("clicked_at").first().clicked_at
    assert CampaignRecipient.objects.get(id=first.id).clicked_at == first_click
    assert CampaignRecipient.objects.filter(campaign=campaign, clicked_at__isnull=True).count() == 1
    assert clicks_flush() == 0


def test_a_flush_repeated_after_a_crash_writes_each_click_once(client, no_dispatch, monkeypatch):
    campaign, (recipient,) = _sent_recipients(1)
    _click(client, recipient)
    _click(client, recipient)
    monkeypatch.setattr(clicks_module.redis.Redis, "xtrim", lambda *a, **k: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(OSError):
        clicks_flush()
    monkeypatch.undo()

    clicks_flush()

    assert LinkClick.objects.count() == 2
    assert _stats(campaign) == (2, 1, 0)


@pytest.mark.parametrize(("agent", "method"), [
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "get"),
    ("WhatsApp/2.23.20.0", "get"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1)", "get"),
    ("", "get"),
    (PHONE_BROWSER, "head"),
])
def test_previewers_scanners_and_head_requests_are_bot_clicks(client, no_dispatch, agent, method):
    campaign, (recipient,) = _sent_recipients(1)
    assert _click(client, recipient, agent=agent, method=method).status_code == 302
    clicks_flush()
    assert _stats(campaign) == (0, 0, 1)
    assert CampaignRecipient.objects.get(id=recipient.id).clicked_at is None


def test_a_click_within_seconds_of_the_send_or_delivery_is_a_bot_click(client, no_dispatch, settings):
    settings.LINK_BOT_CLICK_SECONDS = 5
    campaign, (just_sent, just_delivered, human) = _sent_recipients(3)
    now = timezone.now()
    CampaignRecipient.objects.filter(id=just_sent.id).update(sent_at=now - timedelta(seconds=2))
    CampaignRecipient.objects.filter(id=just_delivered.id).update(status="delivered", delivered_at=now)
    for recipient in (just_sent, just_delivered, human):
        _click(client, recipient)
    clicks_flush()
    assert _stats(campaign) == (1, 1, 2)
    assert list(CampaignRecipient.objects.filter(clicked_at__isnull=False).values_list("id", flat=True)) == [human.id]


def test_a_test_sends_click_is_not_counted(client, no_dispatch):
    campaign, _ = _sent_recipients(1)
    (code,) = one_off_codes(campaign_id=campaign.id, count=1)
    client.get(f"/l/{code}", HTTP_USER_AGENT=PHONE_BROWSER)
    assert clicks_flush() == 0


def test_without_redis_the_click_is_written_at_once(client, no_dispatch, settings, monkeypatch):
    settings.REDIS_URL = None
    campaign, (recipient,) = _sent_recipients(1)
    _click(client, recipient)
    _click(client, recipient)
    assert _stats(campaign) == (2, 1, 0)
    assert CampaignRecipient.objects.get(id=recipient.id).clicked_at is not None


def test_the_portable_writer_follows_the_same_rules(no_dispatch, monkeypatch):
    """The embedded database's one-click path (SQLite) decides like the set-based statement."""
    campaign, (recipient, bot_target) = _sent_recipients(2)
    monkeypatch.setattr(clicks_module.connection, "vendor", "sqlite")
    now = timezone.now()
    clicks = [Click(1, recipient.id, 0, now, False), Click(1, recipient.id, 0, now, False),
              Click(2, recipient.id, 0, now + timedelta(seconds=1), False), Click(3, bot_target.id, 0, now, True),
              Click(4, 10**12, 0, now, False)]
    clicks_apply(clicks=clicks)
    assert _stats(campaign) == (2, 1, 1)
    assert CampaignRecipient.objects.get(id=recipient.id).clicked_at == now


def test_a_malformed_stream_entry_is_skipped(client, no_dispatch):
    campaign, (recipient,) = _sent_recipients(1)
    clicks_module._redis().xadd(stream_key(), {"c": "garbage"})
    _click(client, recipient)
    assert clicks_flush() == 2
    assert _stats(campaign) == (1, 1, 0)


def test_is_bot_request():
    assert not is_bot_request(user_agent=PHONE_BROWSER, method="GET")
    assert is_bot_request(user_agent="Slackbot-LinkExpanding 1.0", method="GET")


def test_with_redis_unreachable_the_outbox_writes_its_clicks_at_once(client, no_dispatch, settings, monkeypatch):
    campaign, (recipient,) = _sent_recipients(1)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(clicks_module._outbox, "put", lambda item: clicks_module._stream_add([item]))  # this thread
    assert _click(client, recipient).status_code == 302
    assert _stats(campaign) == (1, 1, 0)


def test_many_redirects_leave_every_click_in_the_stream_once(client, no_dispatch):
    """The redirect sends each XADD without waiting; the replies are read later, none is lost or doubled."""
    campaign, recipients = _sent_recipients(4)
    for recipient in recipients * 3:
        assert _click(client, recipient).status_code == 302
    assert clicks_flush() == 12
    assert _stats(campaign) == (12, 4, 0)
