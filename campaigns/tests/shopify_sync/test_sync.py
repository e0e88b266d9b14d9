"""The full customer sync against the Shopify simulator over HTTP: paged for a small shop, bulk JSON Lines for a
big one, consent mapped, a re-sync changing nothing, resumable after a kill, 409 while one runs."""

import gc
import sys
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import ConsentEvent, Contact, ShopifyInstall, SuppressedPhone
from campaigns.services.contacts.suppression import phone_hash
from campaigns.services.errors import DomainError
from campaigns.services.shopify_sync import customers
from campaigns.services.shopify_sync import sync as sync_module
from campaigns.services.shopify_sync.sync import shopify_sync_run
from campaigns.services.shopify_sync.sync_start import shopify_sync_start
from campaigns.tests.support.factories import ShopFactory
from shopify.simulator import ShopifySimulator
from shopify.simulator.customers import SimCustomer
from shopify.tokens import encrypt_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["sql", "portable"])
def implementation(request, monkeypatch):
    """Every case runs on PostgreSQL's statement and on the portable path (the demo's SQLite) alike."""
    monkeypatch.setattr(customers, "_portable", lambda: request.param == "portable")
    return request.param
SHOP = "sync.myshopify.com"


@pytest.fixture
def sim(settings):
    with ShopifySimulator(api_key="client-id", api_secret="sync-secret") as simulator:
        for name, value in simulator.app_settings().items():
            setattr(settings, name, value)
        settings.SHOPIFY_SYNC_BULK_POLL_S = 0.05
        yield simulator


def _installed(sim, customers: int) -> ShopifyInstall:
    token = sim.create_shop(SHOP, customers=customers, token=True)["access_token"]
    return ShopifyInstall.objects.create(shop=ShopFactory(domain=SHOP), access_token=encrypt_token(token))


def _synced(install: ShopifyInstall, django_capture_on_commit_callbacks) -> ShopifyInstall:
    with django_capture_on_commit_callbacks(execute=False):
        shopify_sync_start(shop_id=install.shop_id)
    assert shopify_sync_run(install_id=install.pk) == "done"
    install.refresh_from_db()
    return install


def _expected(sim) -> dict[str, bool]:
    """The simulator's customers with a phone: phone -> subscribed."""
    table = sim.shop(SHOP).customers
    found = {}
    for customer in table.after(None):
        if customer.phone:
            found[customer.phone] = customer.state == "SUBSCRIBED"
    return found


def _ours(shop_id: int) -> dict[str, bool]:
    return {phone: consent and opted_out is None for phone, consent, opted_out in
            Contact.objects.filter(shop_id=shop_id).values_list("phone", "sms_consent", "opted_out_at")}


def test_a_small_shop_is_read_page_by_page_with_consent_mapped(sim, settings, django_capture_on_commit_callbacks):
    install = _synced(_installed(sim, 600), django_capture_on_commit_callbacks)
    assert _ours(install.shop_id) == _expected(sim)
    assert (install.sync_state, install.customers_seen, install.contacts_created, install.skipped_no_phone) == (
        "done", 600, 540, 60)
    assert install.last_sync_at is not None
    assert not any("bulkOperation" in call.operation for call in sim.calls())
    pending = Contact.objects.filter(shop=install.shop, shopify_consent_state="pending")
    assert pending.exists() and not pending.filter(sms_consent=True).exists()
    event = ConsentEvent.objects.filter(shop=install.shop, action="granted").first()
    assert event.source == "shopify" and "state=subscribed" in event.detail and "consent_updated_at=" in event.detail
    assert Contact.objects.filter(shop=install.shop, shopify_customer_id__isnull=True).count() == 0


def test_a_resync_of_an_unchanged_shop_changes_nothing(sim, django_capture_on_commit_callbacks):
    install = _synced(_installed(sim, 300), django_capture_on_commit_callbacks)
    events, stamps = ConsentEvent.objects.count(), set(Contact.objects.values_list("updated_at", flat=True))
    install = _synced(install, django_capture_on_commit_callbacks)
    assert (install.contacts_created, install.contacts_updated, install.customers_seen) == (0, 0, 300)
    assert ConsentEvent.objects.count() == events
    assert set(Contact.objects.values_list("updated_at", flat=True)) == stamps


def test_a_big_shop_switches_to_the_bulk_export(sim, settings, django_capture_on_commit_callbacks):
    settings.SHOPIFY_SYNC_BULK_THRESHOLD = 400
    install = _synced(_installed(sim, 3000), django_capture_on_commit_callbacks)
    assert any("bulkOperationRunQuery" in call.operation for call in sim.calls())
    assert _ours(install.shop_id) == _expected(sim)
    assert (install.customers_seen, install.contacts_created, install.skipped_no_phone) == (3000, 2700, 300)


def test_a_killed_bulk_sync_resumes_from_its_checkpoint(sim, settings, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    settings.SHOPIFY_SYNC_BULK_THRESHOLD = 100
    monkeypatch.setattr(sync_module, "BULK_CHUNK", 500)
    install = _installed(sim, 3000)
    real, calls = sync_module._chunk_apply, []

    def dying(*args, **kwargs):
        calls.append(kwargs["mode"])
        if calls.count("bulk") == 3:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(sync_module, "_chunk_apply", dying)
    with django_capture_on_commit_callbacks(execute=False):
        shopify_sync_start(shop_id=install.shop_id)
    with pytest.raises(SystemExit):
        shopify_sync_run(install_id=install.pk)
    install.refresh_from_db()
    assert (install.sync_state, install.sync_mode, install.sync_offset) == ("running", "bulk", 1000)
    monkeypatch.setattr(sync_module, "_chunk_apply", real)
    assert shopify_sync_run(install_id=install.pk) == "done"
    install.refresh_from_db()
    assert sum("bulkOperationRunQuery" in call.operation for call in sim.calls()) == 1
    assert (install.customers_seen, install.contacts_created, install.skipped_no_phone) == (3000, 2700, 300)
    assert _ours(install.shop_id) == _expected(sim)


def test_a_second_start_while_one_runs_is_refused(sim, django_capture_on_commit_callbacks):
    install = _installed(sim, 10)
    with django_capture_on_commit_callbacks(execute=False):
        shopify_sync_start(shop_id=install.shop_id)
        with pytest.raises(DomainError) as refused:
            shopify_sync_start(shop_id=install.shop_id)
    assert refused.value.reason == "sync_running"


def test_the_api_starts_a_sync_and_answers_409_while_it_runs(api, shop, sim, django_capture_on_commit_callbacks):
    token = sim.create_shop(shop.domain, customers=5, token=True)["access_token"]
    ShopifyInstall.objects.create(shop=shop, access_token=encrypt_token(token))
    with django_capture_on_commit_callbacks(execute=False):
        first = api.post("/api/v1/shopify/sync")
        second = api.post("/api/v1/shopify/sync")
    assert first.status_code == 202 and first.json()["sync"]["state"] == "running"
    assert second.status_code == 409 and second.json()["reason"] == "sync_running"


def test_a_reply_stop_wins_over_an_older_subscribed_and_a_newer_one_gives_consent_back(
        sim, django_capture_on_commit_callbacks):
    install = _installed(sim, 40)
    customer = next(c for c in sim.shop(SHOP).customers.after(None) if c.state == "SUBSCRIBED")
    consent_at = datetime.fromtimestamp(customer.consent_updated_at, UTC)
    stop = consent_at + timedelta(hours=1)
    stopped = Contact.objects.create(shop=install.shop, phone=customer.phone, sms_consent=False,
                                     consent_source="sms_reply", opted_out_at=stop, reply_opted_out_at=stop)
    _synced(install, django_capture_on_commit_callbacks)
    stopped.refresh_from_db()
    assert not stopped.sms_consent and stopped.opted_out_at is not None
    earlier = consent_at - timedelta(hours=1)
    Contact.objects.filter(pk=stopped.pk).update(opted_out_at=earlier, reply_opted_out_at=earlier,
                                                 shopify_consent_at=None)
    _synced(install, django_capture_on_commit_callbacks)
    stopped.refresh_from_db()
    assert stopped.sms_consent and stopped.opted_out_at is None and stopped.consent_source == "shopify"
    assert stopped.reply_opted_out_at is None


def test_a_sync_of_a_shop_uninstalled_meanwhile_ends_failed(sim, django_capture_on_commit_callbacks):
    install = _installed(sim, 10)
    with django_capture_on_commit_callbacks(execute=False):
        shopify_sync_start(shop_id=install.shop_id)
    ShopifyInstall.objects.filter(pk=install.pk).update(access_token="")
    assert shopify_sync_run(install_id=install.pk) == "failed"
    install.refresh_from_db()
    assert install.sync_state == "failed" and "uninstalled" in install.sync_error
    assert shopify_sync_run(install_id=install.pk) == "not_running"


def test_a_bulk_resync_of_an_unchanged_shop_changes_nothing(sim, settings, django_capture_on_commit_callbacks):
    settings.SHOPIFY_SYNC_BULK_THRESHOLD = 200
    install = _synced(_installed(sim, 1500), django_capture_on_commit_callbacks)
    events, stamps = ConsentEvent.objects.count(), set(Contact.objects.values_list("updated_at", flat=True))
    install = _synced(install, django_capture_on_commit_callbacks)
    assert (install.contacts_created, install.contacts_updated, install.customers_seen) == (0, 0, 1500)
    assert ConsentEvent.objects.count() == events
    assert set(Contact.objects.values_list("updated_at", flat=True)) == stamps


def test_a_bulk_sync_reads_odd_lines_in_python_and_keeps_erased_phones_out(sim, settings, monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    settings.SHOPIFY_SYNC_BULK_THRESHOLD = 100
    monkeypatch.setattr(sync_module, "BULK_CHUNK", 400)
    install = _installed(sim, 1000)
    table = sim.shop(SHOP).customers
    at = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    for offset, phone in ((1, "(212) 555-0188"), (2, "+12125550177")):
        table.put(SimCustomer(customer_id=table.next_id(), first_name=" Padded ", last_name=None, phone=phone,
                              updated_at=at, state="SUBSCRIBED", opt_in_level="SINGLE_OPT_IN",
                              consent_updated_at=at - offset, collected_from="OTHER"))
    SuppressedPhone.objects.create(shop=install.shop, phone_hash=phone_hash("+12125550177"))
    install = _synced(install, django_capture_on_commit_callbacks)
    assert (install.customers_seen, install.contacts_created, install.skipped_no_phone) == (1002, 901, 101)
    national = Contact.objects.get(shop=install.shop, phone="+12125550188")
    assert (national.first_name, national.sms_consent) == ("Padded", True)
    assert not Contact.objects.filter(phone="+12125550177").exists()


@pytest.fixture
def copies(monkeypatch):
    """How each bulk chunk was written (customers_new.py's outcome, '' where made for the statement), and whether
    the garbage collector ran and how often the GIL was handed over meanwhile."""
    real, seen = sync_module.customer_lines_apply, []

    def spy(**kwargs):
        applied = real(**kwargs)
        seen.append((applied.copy, gc.isenabled(), sys.getswitchinterval()))
        return applied

    monkeypatch.setattr(sync_module, "customer_lines_apply", spy)
    return seen


def test_a_first_sync_writes_the_chunks_after_its_pages_as_new_contacts(
        sim, settings, monkeypatch, copies, implementation, django_capture_on_commit_callbacks):
    settings.SHOPIFY_SYNC_BULK_THRESHOLD = 600
    monkeypatch.setattr(sync_module, "BULK_CHUNK", 800)
    interval = sys.getswitchinterval()
    install = _synced(_installed(sim, 4000), django_capture_on_commit_callbacks)
    assert _ours(install.shop_id) == _expected(sim)
    assert (install.customers_seen, install.contacts_created, install.skipped_no_phone) == (4000, 3600, 400)
    assert ConsentEvent.objects.filter(shop=install.shop).count() == sum(_expected(sim).values())
    outcomes = [outcome for outcome, _, _ in copies]
    if implementation == "portable":
        assert set(outcomes) == {""}
    else:  # the block holding the paged customers is linked already, the rest are new
        assert outcomes[0] == "linked" and set(outcomes[1:]) == {"copied"}
        assert {(enabled, switch) for _, enabled, switch in copies} == {(False, 0.001)}
    assert gc.isenabled() and sys.getswitchinterval() == interval


def test_a_sync_meeting_an_imported_phone_writes_the_rest_by_the_statement(
        sim, settings, monkeypatch, copies, implementation, django_capture_on_commit_callbacks):
    if implementation == "portable":
        pytest.skip("COPY of new contacts is PostgreSQL's (customers_new.py)")
    settings.SHOPIFY_SYNC_BULK_THRESHOLD = 100
    monkeypatch.setattr(sync_module, "BULK_CHUNK", 800)
    install = _installed(sim, 4000)
    imported = sim.shop(SHOP).customers.get(sim.shop(SHOP).customers.base_id + 2500).phone
    Contact.objects.create(shop=install.shop, phone=imported, first_name="Imported")
    install = _synced(install, django_capture_on_commit_callbacks)
    assert _ours(install.shop_id) == _expected(sim)
    assert (install.contacts_created, install.contacts_updated) == (3599, 1)
    outcomes = [outcome for outcome, _, _ in copies]
    refused = outcomes.index("refused")
    assert "copied" in outcomes[:refused] and set(outcomes[refused + 1:]) <= {""}
    assert Contact.objects.get(shop=install.shop, phone=imported).shopify_customer_id is not None
