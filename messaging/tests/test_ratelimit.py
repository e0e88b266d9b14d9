import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from messaging import ratelimit
from messaging.ratelimit import Limit, MemoryBackend, RedisBackend, acquire


@pytest.fixture(params=["redis", "memory"])
def backend(request, settings):
    """Run the test once on Redis and once on the in-process fallback; both start empty."""
    if request.param == "memory":
        settings.REDIS_URL = None
    ratelimit.reset()
    yield request.param
    ratelimit.reset()


def configure(settings, *, account=(100, 10_000), tenant=(100, 10_000)):
    """Set (max, window ms) of the traffic account's and the tenant's limits."""
    settings.RATE_LIMIT_TRAFFIC_ACCOUNT_MAX, settings.RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS = account
    settings.RATE_LIMIT_TENANT_MAX, settings.RATE_LIMIT_TENANT_WINDOW_MS = tenant


def take(n, *, tenant="shop-a", traffic_account="acct-1"):
    return [acquire(tenant=tenant, traffic_account=traffic_account) for _ in range(n)]


def most_in_any_window(stamps_us, window_us):
    """The largest number of timestamps inside any half-open window of `window_us`."""
    stamps = sorted(stamps_us)
    most, first = 0, 0
    for last, stamp in enumerate(stamps):
        while stamps[first] <= stamp - window_us:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_the_tenant_limit_refuses_past_its_max_and_spares_other_tenants(backend, settings):
    configure(settings, tenant=(3, 1000))

    decisions = take(4)

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.retry_after_s for d in decisions[:3]] == [0, 0, 0]
    assert 0 < decisions[3].retry_after_s <= 1.0
    assert acquire(tenant="shop-b", traffic_account="acct-1").allowed


def test_the_account_limit_counts_every_tenant_and_spares_other_accounts(backend, settings):
    configure(settings, account=(3, 1000))

    decisions = [acquire(tenant=f"shop-{i}", traffic_account="acct-1") for i in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 0 < decisions[3].retry_after_s <= 1.0
    assert acquire(tenant="shop-9", traffic_account="acct-2").allowed


def test_a_full_tenant_consumes_nothing_of_the_account(backend, settings):
    configure(settings, account=(5, 10_000), tenant=(3, 10_000))
    assert all(d.allowed for d in take(3, tenant="shop-a"))
    assert not any(d.allowed for d in take(10, tenant="shop-a"))

    other = take(3, tenant="shop-b")

    assert [d.allowed for d in other] == [True, True, False]


def test_a_full_account_consumes_nothing_of_the_tenant(backend, settings):
    configure(settings, account=(2, 10_000), tenant=(3, 10_000))
    assert all(d.allowed for d in take(2, traffic_account="acct-1"))
    assert not any(d.allowed for d in take(10, traffic_account="acct-1"))

    elsewhere = take(2, traffic_account="acct-2")

    assert [d.allowed for d in elsewhere] == [True, False]


def test_when_both_are_full_retry_after_waits_for_the_later_one(backend, settings):
    configure(settings, account=(2, 200), tenant=(2, 5000))
    take(2)

    refused = acquire(tenant="shop-a", traffic_account="acct-1")

    assert not refused.allowed
    assert 0.2 < refused.retry_after_s <= 5.0


def test_the_window_slides(backend, settings):
    configure(settings, tenant=(2, 200))
    first, second, refused = take(3)
    assert (first.allowed, second.allowed, refused.allowed) == (True, True, False)

    time.sleep(refused.retry_after_s + 0.02)

    assert acquire(tenant="shop-a", traffic_account="acct-1").allowed


def hammer(take_one, seconds):
    """Call `take_one` as fast as possible for `seconds`; the allowed timestamps and the number refused."""
    deadline = time.monotonic() + seconds
    allowed, refused = [], 0
    while time.monotonic() < deadline:
        decision = take_one()
        if decision.allowed:
            allowed.append(decision.at_us)
        else:
            refused += 1
    return allowed, refused


def test_no_window_ever_holds_more_than_max_across_threads(backend, settings):
    configure(settings, account=(5, 100), tenant=(3, 50))

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = [pool.submit(hammer, lambda: acquire(tenant="shop-a", traffic_account="acct-1"), 0.5) for _ in range(4)]
        outcomes = [run.result() for run in runs]

    allowed = [stamp for stamps, _ in outcomes for stamp in stamps]
    assert sum(refused for _, refused in outcomes) > 0 and len(allowed) > 3
    assert most_in_any_window(allowed, 50_000) <= 3


def test_one_backend_per_process_follows_the_settings(backend, settings):
    chosen = ratelimit.limiter_for_settings()

    assert chosen is ratelimit.limiter_for_settings()
    assert isinstance(chosen, RedisBackend if backend == "redis" else MemoryBackend)


def test_reset_forgets_every_window(backend, settings):
    configure(settings, tenant=(1, 10_000))
    take(1)

    ratelimit.reset()

    assert acquire(tenant="shop-a", traffic_account="acct-1").allowed


def test_redis_keys_expire_with_their_window(settings):
    configure(settings, account=(5, 700), tenant=(5, 300))
    acquire(tenant="shop-a", traffic_account="acct-1")
    client = redis.Redis.from_url(settings.REDIS_URL)
    account_key, tenant_key = (limit.key for limit in ratelimit.limits_for(tenant="shop-a", traffic_account="acct-1"))

    assert 0 < client.pttl(account_key) <= 700
    assert 0 < client.pttl(tenant_key) <= 300
    assert client.zcard(account_key) == client.zcard(tenant_key) == 1


def _hammer(url: str, limits: tuple[Limit, ...], seconds: float, start, results) -> None:
    """Worker process: take from `limits` as fast as possible for `seconds`; report the allowed timestamps."""
    backend = RedisBackend(url)
    start.wait()
    guard = ratelimit.guard_key(limits[0].key.split(":rl:")[0])
    allowed, refused = hammer(lambda: backend.take(limits, guard=guard), seconds)
    results.put((limits[1].key, allowed, refused))


@pytest.mark.slow
def test_limits_hold_across_processes(settings):
    configure(settings, account=(6, 100), tenant=(4, 100))
    tenants = ["shop-a", "shop-a", "shop-b", "shop-b"]
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(
            target=_hammer,
            args=(settings.REDIS_URL, ratelimit.limits_for(tenant=t, traffic_account="acct-1"), 1.5, start, results),
        )
        for t in tenants
    ]
    for worker in workers:
        worker.start()
    start.set()
    reports = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)

    by_tenant: dict[str, list[int]] = {}
    for key, allowed, _ in reports:
        by_tenant.setdefault(key, []).extend(allowed)
    every = [stamp for stamps in by_tenant.values() for stamp in stamps]
    assert sum(refused for *_, refused in reports) > 0 and len(every) > 6
    assert most_in_any_window(every, 100_000) <= 6
    assert all(most_in_any_window(stamps, 100_000) <= 4 for stamps in by_tenant.values())


def forget_everything(settings) -> None:
    """What a restart without persistence does to the limiter: every key under the prefix gone, guard included."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{settings.SMS_KEY_PREFIX}:rl:*", count=1000):
        client.delete(key)


def test_a_redis_that_lost_its_windows_grants_nothing_for_one_longest_window(settings):
    configure(settings, account=(5, 400), tenant=(3, 200))
    ratelimit.reset()
    assert all(d.allowed for d in take(3))

    forget_everything(settings)
    refused = take(2)
    time.sleep(0.45)

    # The 3 requests just granted are forgotten, so nothing is granted until they have left every window.
    assert not any(d.allowed for d in refused)
    assert 0.3 < refused[0].retry_after_s <= 0.4 and refused[1].retry_after_s <= refused[0].retry_after_s
    assert [d.allowed for d in take(4)] == [True, True, True, False]


def test_reset_empties_the_windows_without_a_quiet_period(settings):
    configure(settings, tenant=(1, 10_000))
    forget_everything(settings)

    ratelimit.reset()

    assert [d.allowed for d in take(2)] == [True, False]
