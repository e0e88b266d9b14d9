"""The peer benchmark: the naive design (bench.naive_tasks: a task and a single-message request per recipient)
beside ours, the same number of messages through the same simulator with the same 2 worker processes, on a
size it can finish (`--naive-size`, at most N)."""

import time

from bench.drive import ShopApi, progress
from bench.fixtures import contacts_create, shop_create
from bench.report import Figure
from bench.sending import alive_check, send_campaign
from bench.stack import WORKER_PROCESSES, Stack

STALL_S = 60.0


def _send_naive(api: ShopApi, shop_id: int, *, count: int, stack: Stack) -> float:
    """Seconds from the first task published to the last message counted: one task per consenting contact,
    published one by one (as `for contact in ...: send_sms.delay(...)` does)."""
    from bench.naive_tasks import naive_send
    from campaigns.models import Contact
    from metrics.models import CampaignMetrics

    check = alive_check(stack)
    campaign_id = api.campaign_create("bench naive design")
    CampaignMetrics.objects.create(campaign_id=campaign_id, total=count)
    started = time.perf_counter()
    contacts = Contact.objects.filter(shop_id=shop_id, sms_consent=True, opted_out_at__isnull=True)
    for contact_id in contacts.values_list("id", flat=True).iterator(chunk_size=5000):
        naive_send.delay(campaign_id, contact_id)
    last, last_move = -1, time.monotonic()
    while (done := progress(campaign_id).processed) < count:
        if done != last:
            last, last_move = done, time.monotonic()
        elif time.monotonic() - last_move > STALL_S:
            raise TimeoutError(f"naive design stuck at {done:,}/{count:,} messages:\n{stack.worker.tail()}")
        check()
        time.sleep(0.1)
    return time.perf_counter() - started


def run(ctx) -> list[Figure]:
    count = min(ctx.naive_size, ctx.size)
    shop = shop_create(domain="naive.bench.myshopify.com", credits=2 * count + 1000)
    contacts_create(shop_id=shop.id, consenting=count)
    api = ShopApi(shop)
    stack = Stack(ctx.env, ctx.profile_dir, "naive")
    try:
        stack.simulator(delay_ms=0)
        stack.celery_worker(include="bench.naive_tasks")
        check = alive_check(stack)
        ours_seconds, state = send_campaign(api, "bench ours at the naive size", timeout_s=600, check=check)
        naive_seconds = _send_naive(api, shop.id, count=count, stack=stack)
    finally:
        stack.close()
    ours, naive = count / ours_seconds, count / naive_seconds
    return [Figure(
        key="naive", work=f"send {count:,} messages, ours beside the naive design (a task and a single-message "
        f"request per recipient, no rate limiter), {WORKER_PROCESSES} workers",
        value=ours, unit="msg/s", baseline=naive, baseline_work="naive design",
        budget="- (reported as a ratio)",
        details={"messages": count, "ours_seconds": ours_seconds, "naive_seconds": naive_seconds,
                 "ours_final": vars(state), "ours_at_n_msg_per_s": ctx.fast_rate,
                 "ours_at_n_over_naive": ctx.fast_rate / naive if ctx.fast_rate else None},
    )]
