"""`python -m bench.links [--only redirect,clicks,send] [--seconds 20] [--clicks N] [--send N] [--profile DIR]`:
the short-link budgets of DESIGN.md.

1. The redirect `GET /l/{code}` through gunicorn (2 workers), clicks recorded (the code checked, the campaign's
   URL from the process's cache, the click handed to the outbox that XADDs it to the click stream), beside a
   bare Django view answering the same 302 from the same gunicorn (budget ≥ 0.7×); then the clicks in the
   stream are counted against the redirects answered. Every request is a different recipient's code; both sides
   run in alternating rounds.
2. Clicks written: N clicks in the click stream (entries of OUTBOX_BATCH, as the outboxes write them under load)
   drained by `clicks_flush` into Click rows, first clicks and counters (budget ≥ 20,000/s).

3. Sending N messages with a link in every message beside the same send without, through the
   simulator and a Celery worker (2 processes), in alternating rounds (plain, linked, plain, linked) so the
   machine's other load falls on both alike (budget ≥ 0.9×). `python -m bench --only send --links` beside
   `python -m bench --only send` measures the same at 1M in two separate runs.
"""

import argparse
import http.client
import multiprocessing
import random
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.env import BenchEnv, load_average
from bench.fixtures import sent_campaign_create, shop_create
from bench.stack import Stack

REDIRECT, BARE = "/l/", "/_bench/l/"
PROCESSES, THREADS = 2, 4
ROUNDS = 2
RECIPIENTS = 200_000


def _load(args) -> tuple[int, int, float]:
    import threading

    url, codes, duration_s = args
    parts = urlsplit(url)
    counts = [[0, 0] for _ in range(THREADS)]
    started = time.perf_counter()
    deadline = started + duration_s
    agent = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}

    def loop(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        n = index
        while time.perf_counter() < deadline:
            n += THREADS
            conn.request("GET", parts.path + codes[n % len(codes)], headers=agent)
            response = conn.getresponse()
            response.read()
            counts[index][0 if response.status == 302 else 1] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts), time.perf_counter() - started


def _run(url: str, codes: list[str], duration_s: float) -> tuple[int, int, float]:
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        shares = [codes[slot::PROCESSES] for slot in range(PROCESSES)]
        results = pool.map(_load, [(url, share, duration_s) for share in shares])
    return sum(r[0] for r in results), sum(r[1] for r in results), max(r[2] for r in results)


def _linked_campaign(recipients: int) -> tuple[int, list[str]]:
    """A sent campaign with one link, and its recipients' codes (shuffled)."""
    from campaigns.models import CampaignLink, CampaignRecipient
    from campaigns.services.links.codes import coder, recipient_codes

    shop = shop_create(domain="links.bench.myshopify.com", credits=10)
    campaign_id = sent_campaign_create(shop_id=shop.id, recipients=recipients)
    CampaignLink.objects.create(campaign_id=campaign_id, position=0, url="https://bench.example/sale?src=sms")
    keys = coder()
    ids = list(CampaignRecipient.objects.filter(campaign_id=campaign_id).values_list("id", flat=True))
    random.Random(7).shuffle(ids)
    return campaign_id, [recipient_codes(recipient_id=rid, count=1, keys=keys)[0] for rid in ids]


def _redirect(env: BenchEnv, codes: list[str], seconds: float, profile_dir: Path | None = None) -> float:
    from campaigns.services.links.clicks import _redis, stream_key

    stack = Stack(env, profile_dir=profile_dir, label="links")
    try:
        web = stack.gunicorn()
        _redis().delete(stream_key())
        _run(web + BARE, codes, 1)
        warm = _run(web + REDIRECT, codes, 1)[0]
        totals = {"bare": [0, 0, 0.0], "redirect": [0, 0, 0.0]}
        for _ in range(ROUNDS):
            for side, path in (("bare", BARE), ("redirect", REDIRECT)):
                ok, bad, spent = _run(web + path, codes, seconds / ROUNDS)
                totals[side] = [totals[side][0] + ok, totals[side][1] + bad, totals[side][2] + spent]
        redirected = warm + totals["redirect"][0]
    finally:
        stack.close()  # gunicorn's workers exit, sending what their click outboxes still hold
    recorded = sum(len(fields[b"c"].split(b",")) for _, fields in _redis().xrange(stream_key()))
    print(f"clicks in the stream: {recorded:,} of {redirected:,} redirects answered")
    rates = {side: ok / spent for side, (ok, _, spent) in totals.items()}
    for side, (ok, bad, spent) in totals.items():
        print(f"{side}: {ok:,} answered 302 ({bad} other) in {spent:.1f} s = {rates[side]:,.0f} req/s")
    ratio = rates["redirect"] / rates["bare"]
    print(f"ratio redirect / bare = {ratio:.2f} (budget ≥ 0.7: {'met' if ratio >= 0.7 else 'missed'})")
    return ratio


def _clicks_written(codes: list[str], count: int) -> float:
    """Fill the click stream with `count` clicks of these recipients, as the redirect's outboxes write them under
    load (full entries of OUTBOX_BATCH clicks), and time draining it."""
    from campaigns.models import LinkClick
    from campaigns.services.links.clicks import OUTBOX_BATCH, _redis, clicks_flush, stream_key
    from campaigns.services.links.codes import code_read

    client = _redis()
    client.delete(stream_key())
    ids = [code_read(code).ident for code in codes]
    now_ms = int(time.time() * 1000)
    pipe = client.pipeline(transaction=False)
    for start in range(0, count, OUTBOX_BATCH):
        items = [f"{ids[n % len(ids)]}:0:0:{now_ms}" for n in range(start, min(start + OUTBOX_BATCH, count))]
        pipe.xadd(stream_key(), {"c": ",".join(items)})
    pipe.execute()
    before = LinkClick.objects.count()
    started = time.perf_counter()
    drained = clicks_flush(limit=count + 1)
    seconds = time.perf_counter() - started
    written = LinkClick.objects.count() - before
    rate = written / seconds
    print(f"clicks written: {written:,} of {drained:,} buffered in {seconds:.2f} s = {rate:,.0f}/s "
          f"(budget ≥ 20,000/s: {'met' if rate >= 20_000 else 'missed'})")
    return rate


def _send_paired(env: BenchEnv, size: int, rounds: int = 2) -> float:
    """Seconds of `rounds` sends of `size` messages without and with a link, alternating; the rate ratio."""
    from bench.drive import ShopApi, wait_terminal
    from bench.fixtures import contacts_create

    shop = shop_create(domain="send.links.bench.myshopify.com", credits=4 * rounds * size)
    contacts_create(shop_id=shop.id, consenting=size)
    stack = Stack(env)
    seconds = {"plain": 0.0, "linked": 0.0}
    try:
        stack.simulator(delay_ms=0)
        stack.celery_worker()
        for round_no in range(rounds):
            for side in ("plain", "linked"):
                ShopApi.links = side == "linked"
                api = ShopApi(shop)
                campaign_id = api.campaign_create(f"{side} {round_no}")
                started = time.perf_counter()
                api.enqueue(campaign_id)
                state = wait_terminal(campaign_id, timeout_s=120 + size / 500)
                seconds[side] += time.perf_counter() - started
                print(f"round {round_no} {side}: {size:,} in {time.perf_counter() - started:.1f} s ({state.status})")
    finally:
        ShopApi.links = False
        stack.close()
    ratio = seconds["plain"] / seconds["linked"]
    print(f"send {size:,} x{rounds}: without links {rounds * size / seconds['plain']:,.0f} msg/s, with a link "
          f"{rounds * size / seconds['linked']:,.0f} msg/s; ratio {ratio:.2f} (budget ≥ 0.9: "
          f"{'met' if ratio >= 0.9 else 'missed'})")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per redirect side")
    parser.add_argument("--clicks", type=int, default=200_000, help="clicks buffered then written")
    parser.add_argument("--send", type=int, default=200_000, metavar="N",
                        help="messages of each send with and without a link (two rounds each)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="sample gunicorn with py-spy into DIR (read with python -m bench.profile)")
    parser.add_argument("--only", default="redirect,clicks,send", help="comma-separated subset of redirect,clicks,send")
    args = parser.parse_args()
    parts = {part.strip() for part in args.only.split(",")}
    env = BenchEnv()
    env.create()
    try:
        env.activate()
        print(f"load average at start {load_average()}")
        codes = _linked_campaign(RECIPIENTS)[1] if parts & {"redirect", "clicks"} else []
        if "redirect" in parts:
            _redirect(env, codes, args.seconds, args.profile)
        if "clicks" in parts:
            _clicks_written(codes, args.clicks)
        if "send" in parts:
            _send_paired(env, args.send)
        print(f"load average at end {load_average()}")
    finally:
        env.drop()


if __name__ == "__main__":
    main()
