"""The merchant's console in headless Chromium: import contacts, create a campaign, send it to the simulator,
watch the progress bar reach 100%. Screenshots go to artifacts/admin-screenshots/ (or $ADMIN_SCREENSHOTS_DIR).
Skipped, with the reason printed, where Chromium or Playwright is missing."""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

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


@pytest.mark.django_db(transaction=True)
def test_merchant_imports_creates_and_sends_a_campaign_in_the_browser(browser_page, live_server, mitto_simulator,
                                                                       tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shop = funded_shop(1000, default_region="GR")
    session = merchant_client(shop).cookies[settings.SESSION_COOKIE_NAME].value
    page = browser_page
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("phone,first_name,last_name,sms_consent,tags\n+306911111111,Anna,P,yes,vip\n"
                        "+306922222222,Nick,K,yes,vip\nbad,Bad,Row,yes,\n")
    page.goto(f"{live_server.url}/admin/campaigns/contact/import/")
    page.set_input_files("input[name=file]", str(csv_file))
    page.click("input[type=submit]")
    page.wait_for_selector(".sms-import-summary")
    assert "2 created" in page.inner_text(".sms-import-summary")
    page.screenshot(path=str(SCREENSHOTS / "1-import.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/campaigns/campaign/add/")
    page.fill("input[name=name]", "Spring sale")
    page.fill("textarea[name=body]", "Hi {{ first_name }}, 20% off today")
    page.fill("input[name=audience]", "vip")
    page.click("input[name=_save]")
    page.screenshot(path=str(SCREENSHOTS / "2-created.png"), full_page=True)

    page.click("#result_list a:has-text('Spring sale')")
    page.click("a.sms-send-now")
    page.wait_for_selector(".sms-confirm")
    assert page.inner_text("[data-confirm=credits]").startswith("2 credits")
    assert page.inner_text("[data-confirm=text]").startswith("Hi Anna, 20% off today")
    page.screenshot(path=str(SCREENSHOTS / "3-confirm.png"), full_page=True)
    page.click("input[name=_confirm]")
    page.wait_for_selector("#sms-counters")
    page.wait_for_function("(document.querySelector('.sms-percent')?.textContent || '').startsWith('100')",
                           timeout=30_000)
    assert page.inner_text("#sms-counters [data-counter=total]") == "2"
    assert page.inner_text("#sms-counters [data-counter=queued]") == "0"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / "4-detail.png"), full_page=True)
    connections.close_all()  # opened in Playwright's context, which pytest-django's teardown does not see
    assert sorted(mitto_simulator.destination_counts()) == ["+306911111111", "+306922222222"]
