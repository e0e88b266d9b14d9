"""The merchant's console in headless Chromium, the merchant's journey: import contacts, an existing number
refused, the live audience count, a refused campaign kept, a test send, confirm and send to the simulator, watch
Completed and late delivery reports, export the recipients, pause/resume/cancel a campaign mid-send, schedule in
local time and cancel, read the ledger. Screenshots go to
artifacts/admin-screenshots/ (or $ADMIN_SCREENSHOTS_DIR).
Skipped, with the reason printed, where Chromium or Playwright is missing."""

import importlib.util
import os
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connections

from campaigns.models import Campaign, Contact
from campaigns.tests.support.admin_helpers import merchant_client
from campaigns.tests.support.send_helpers import funded_shop

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MISSING = ("Chromium is not installed (Debian package `chromium`)" if not CHROMIUM else
           "Playwright is not installed (pip install playwright)" if not importlib.util.find_spec("playwright")
           else "")
SCREENSHOTS = Path(os.environ.get("ADMIN_SCREENSHOTS_DIR", Path(settings.BASE_DIR) / "artifacts" / "admin-screenshots"))


@pytest.fixture
def browser_page(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous and
    safe, so Django's async-context guard is lifted for the test (as Django's docs advise for such tools)."""
    if MISSING:
        print(f"browser test skipped: {MISSING}", file=sys.stderr)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser.new_page()
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_for_text(page, selector: str, text: str, timeout: int = 30_000) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)", arg=[selector, text],
        timeout=timeout)


def pause_resume_cancel(page, admin: str, shop) -> None:
    """A campaign caught mid-send: its batches wait for a worker (dispatch held back, as when the workers are
    busy), so it stays Sending while the merchant pauses it (the page says what the carrier has still goes
    out), resumes it and cancels it; nothing of it is sent and its held credits are given back."""
    page.goto(f"{admin}/campaign/add/")
    page.fill("input[name=name]", "Flash sale")
    page.fill("textarea[name=body]", "Flash sale, {{ first_name }}: 30% off")
    page.fill("input[name=audience]", "vip")
    page.click("input[name=_save]")
    flash = Campaign.objects.get(shop=shop, name="Flash sale")
    with pytest.MonkeyPatch.context() as held:
        held.setattr("campaigns.services.sending.dispatch.batches_dispatch_on_commit", lambda *, campaign_id: None)
        page.goto(f"{admin}/campaign/{flash.id}/change/")
        page.click("a.sms-send-now")
        page.click("input[name=_confirm]")
        wait_for_text(page, "#sms-counters .sms-state", "Sending")
        page.click("a.sms-pause")
        consequence = page.inner_text(".sms-lifecycle-consequence")
        assert "the 2 not yet sent wait until you resume" in consequence and "they still go out" in consequence
        shot(page, "7a-pause-asks")
        page.click("input[name=_confirm]")
        page.wait_for_selector(".sms-paused-note")
        assert "still go out" in page.inner_text(".messagelist") and "still go out" in page.inner_text(
            ".sms-paused-note")
        wait_for_text(page, "#sms-counters .sms-state", "Paused")
        shot(page, "7b-paused")
        page.click("a.sms-resume")
        page.click("input[name=_confirm]")
        wait_for_text(page, "#sms-counters .sms-state", "Sending")
        assert "resumed" in page.inner_text(".messagelist")
        shot(page, "7c-resumed")
        page.click("a.sms-cancel")
        assert "given back" in page.inner_text(".sms-lifecycle-consequence")
        page.click("input[name=_confirm]")
        wait_for_text(page, "#sms-counters .sms-state", "Cancelled")
        wait_for_text(page, "#sms-counters .sms-percent", "Cancelled: 0 of 2 sent")
        shot(page, "7d-cancelled-mid-send")
    flash.refresh_from_db()
    shop.refresh_from_db()
    assert flash.status == Campaign.Status.CANCELLED and shop.credits_held == 0


@pytest.mark.django_db(transaction=True)
def test_the_merchants_journey_in_the_browser(browser_page, live_server, mitto_simulator, tmp_path):
    """Import (the summary adds up), an existing number refused, the live audience count, a refused campaign
    kept, a test send quoted then sent, confirm and send, Completed then late delivery reports, export the
    recipients, pause/resume/cancel mid-send, schedule in local time and cancel."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shop = funded_shop(1000, default_region="GR", timezone="America/New_York")
    session = merchant_client(shop).cookies[settings.SESSION_COOKIE_NAME].value
    page = browser_page
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    admin = f"{live_server.url}/admin/campaigns"
    mitto_simulator.configure(dlr_url=f"{live_server.url}/webhooks/mitto/dlr?token={settings.MITTO_WEBHOOK_SECRET}",
                              dlr_delay_ms=4000)

    page.goto(f"{live_server.url}/admin/")
    assert "Shop SMS" in page.inner_text("#site-name") and page.inner_text(".sms-balance") == "1000"
    shot(page, "0-index")

    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("phone,first_name,last_name,sms_consent,tags\n+306911111111,Anna,P,yes,vip\n"
                        "+306922222222,Nick,K,yes,vip\nbad,Bad,Row,yes,\n++306933333333,Typo,Plus,yes,vip\n"
                        "+30 692 222 2222,Nick,K,yes,vip\n+306944444444,Eve,Z,no,vip\n")
    page.goto(f"{admin}/contact/import/")
    page.set_input_files("input[name=file]", str(csv_file))
    page.click("input[type=submit]")
    page.wait_for_selector(".sms-import-summary")
    summary = page.inner_text(".sms-import-summary")
    assert "6 rows in the file" in summary and "3 imported (3 created, 0 updated)" in summary
    assert "1 without consent" in summary and "1 duplicate" in summary and "2 rejected" in summary
    assert "single +" in page.inner_text(".sms-rejected") and page.is_visible(".sms-rejected-download")
    shot(page, "1-import")

    anna = Contact.objects.get(shop=shop, phone="+306911111111")
    page.goto(f"{admin}/contact/add/")
    page.fill("input[name=phone]", "+30 691 111 1111")
    page.check("input[name=sms_consent][value=False]")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert "already a contact" in page.inner_text(".errorlist")
    assert page.is_visible(f"a[href$='/contact/{anna.id}/change/']")
    shot(page, "2-existing-number-refused")
    anna.refresh_from_db()
    assert (anna.first_name, anna.tags, anna.sms_consent) == ("Anna", ["vip"], True)

    page.goto(f"{admin}/campaign/add/")
    page.fill("input[name=name]", "Spring sale")
    page.fill("textarea[name=body]", "Hi {{ nickname }}, 20% off today")
    page.fill("input[name=audience]", "vip, nobody")
    wait_for_text(page, ".sms-audience-count", "2 contacts with the tags vip, nobody")
    page.fill("input[name=audience]", "vip")
    wait_for_text(page, ".sms-audience-count", "2 contacts with the tag vip would get it now")
    shot(page, "3a-live-audience-count")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    wait_for_text(page, ".sms-audience-count", "2 contacts with the tag vip")
    assert page.input_value("input[name=name]") == "Spring sale"
    assert "nickname" in page.input_value("textarea[name=body]")
    shot(page, "3-refused-campaign-kept")
    page.fill("textarea[name=body]", "Hi {{ first_name }}, 20% off today")
    page.click("input[name=_save]")

    page.click("#result_list a:has-text('Spring sale')")
    spring_page = page.url
    page.click("a.sms-send-test")
    page.fill("input[name=phone]", "+30 691 111 1111")
    page.click("input[name=_quote]")
    page.wait_for_selector(".sms-test-quote")
    assert page.inner_text("[data-test=text]").startswith("Hi Anna, 20% off today")
    assert "your contact with this number (Anna P)" in page.inner_text("[data-test=names]")
    assert page.inner_text("[data-test=cost]") == "1 credit (1 text message)"
    shot(page, "4a-test-send-quote")
    page.click("input[name=_confirm]")
    page.wait_for_selector(".messagelist")
    assert "1 credit (1 text message) charged; names from your contact" in page.inner_text(".messagelist")
    shot(page, "4b-test-sent")
    assert page.url == spring_page
    page.click("a.sms-send-now")
    page.wait_for_selector(".sms-confirm")
    assert page.inner_text("[data-confirm=credits]").startswith("2 credits")
    assert page.inner_text("[data-confirm=text]").startswith("Hi Anna, 20% off today")
    assert "America/New_York" in page.inner_text("[data-confirm=send-at]")
    shot(page, "4-confirm")
    page.click("input[name=_confirm]")
    page.wait_for_selector("#sms-counters")
    wait_for_text(page, "#sms-counters .sms-state", "Completed")
    shot(page, "5-completed")
    wait_for_text(page, "#sms-counters .sms-results", "Delivered to 2 of 2")
    assert page.inner_text("#sms-counters [data-counter=total]") == "2"
    shot(page, "6-late-delivery-reports")

    with page.expect_download() as download:
        page.click("a.sms-export")
    exported = Path(download.value.path()).read_text()
    assert exported.splitlines()[0].startswith("phone,first_name") and "+306911111111" in exported

    pause_resume_cancel(page, admin, shop)

    page.goto(f"{admin}/campaign/add/")
    page.fill("input[name=name]", "Weekend")
    page.fill("textarea[name=body]", "See you {{ first_name }}")
    page.click("input[name=_save]")
    page.click("#result_list a:has-text('Weekend')")
    page.click("a.sms-schedule")
    local = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).replace(hour=13, minute=4)
    page.fill("input[name=send_at]", local.strftime("%Y-%m-%dT%H:%M"))
    shot(page, "8-schedule")
    page.click("input[name=_confirm]")
    weekend = Campaign.objects.get(shop=shop, name="Weekend")
    assert weekend.status == Campaign.Status.SCHEDULED
    assert weekend.scheduled_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "13:04"
    assert "13:04" in page.inner_text("#sms-counters .sms-state")
    page.goto(f"{admin}/campaign/")
    page.check(f"input[name=_selected_action][value='{weekend.id}']")
    page.select_option("select[name=action]", "cancel")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    shot(page, "9-scheduled-then-cancelled")
    weekend.refresh_from_db()
    assert weekend.status == Campaign.Status.CANCELLED

    page.goto(f"{admin}/credittransaction/")
    page.wait_for_selector("#sms-ledger-summary")
    shot(page, "10-ledger")
    connections.close_all()  # opened in Playwright's context, which pytest-django's teardown does not see
    assert mitto_simulator.destination_counts() == {"+306911111111": 2, "+306922222222": 1}  # Anna: test too
