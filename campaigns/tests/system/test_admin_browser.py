"""The merchant's console in headless Chromium, the merchant's journey: import contacts, an existing number
refused, a refused campaign kept, confirm and send to the simulator, watch Completed and late delivery reports,
export the recipients, schedule in local time and cancel, read the ledger. Screenshots go to
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


@pytest.mark.django_db(transaction=True)
def test_the_merchants_journey_in_the_browser(browser_page, live_server, mitto_simulator, tmp_path):
    """Import, an existing number refused, a refused campaign kept, confirm and send, Completed then late
    delivery reports, schedule in local time and cancel, export the recipients."""
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
                        "+306922222222,Nick,K,yes,vip\nbad,Bad,Row,yes,\n")
    page.goto(f"{admin}/contact/import/")
    page.set_input_files("input[name=file]", str(csv_file))
    page.click("input[type=submit]")
    page.wait_for_selector(".sms-import-summary")
    assert "2 created" in page.inner_text(".sms-import-summary") and page.is_visible(".sms-rejected-download")
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
    page.fill("input[name=audience]", "vip")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert page.input_value("input[name=name]") == "Spring sale"
    assert "nickname" in page.input_value("textarea[name=body]")
    shot(page, "3-refused-campaign-kept")
    page.fill("textarea[name=body]", "Hi {{ first_name }}, 20% off today")
    page.click("input[name=_save]")

    page.click("#result_list a:has-text('Spring sale')")
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

    page.goto(f"{admin}/campaign/add/")
    page.fill("input[name=name]", "Weekend")
    page.fill("textarea[name=body]", "See you {{ first_name }}")
    page.click("input[name=_save]")
    page.click("#result_list a:has-text('Weekend')")
    page.click("a.sms-schedule")
    local = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).replace(hour=13, minute=4)
    page.fill("input[name=send_at]", local.strftime("%Y-%m-%dT%H:%M"))
    shot(page, "7-schedule")
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
    shot(page, "8-cancelled")
    weekend.refresh_from_db()
    assert weekend.status == Campaign.Status.CANCELLED

    page.goto(f"{admin}/credittransaction/")
    page.wait_for_selector("#sms-ledger-summary")
    shot(page, "9-ledger")
    connections.close_all()  # opened in Playwright's context, which pytest-django's teardown does not see
    assert sorted(mitto_simulator.destination_counts()) == ["+306911111111", "+306922222222"]
