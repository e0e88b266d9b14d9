"""`python -m bench --size N [--only enqueue,send,...]`: measure every budget of DESIGN.md beside its baseline.

Prints a table on stdout, writes results.json, and exits non-zero if a bench could not run (never because a
budget was missed: budgets are reported, not asserted).
"""

import argparse
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from bench.env import ROOT, BenchEnv, load_average, machine_facts
from bench.report import Figure, table, write_json

BENCHES = ("enqueue", "send", "rss", "fairness", "naive", "quiet_us", "reports", "status", "retention")
FIGURES = {  # bench → the figures it produces (results.json keys)
    "enqueue": ("enqueue",),
    "send": ("send", "send_slow_provider"),
    "rss": ("worker_rss",),
    "fairness": ("fairness",),
    "naive": ("naive",),
    "quiet_us": ("quiet_us",),
    "reports": ("reports_array", "reports_single"),
    "status": ("status_p95",),
    "retention": ("retention",),
}
SMALL_SHOP_RECIPIENTS = 100


@dataclass
class Context:
    env: BenchEnv
    size: int
    duration_s: float
    shop_a: object = None
    shop_b: object = None
    reports_campaign: int = 0
    array_reports: int = 0
    single_campaign: int = 0
    single_pool: int = 0
    fast_rate: float | None = None
    naive_size: int = 20_000
    profile_dir: Path | None = None


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="N: contacts, messages, reports (1,000,000)")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds of each timed load phase (raw simulator rate, single reports, status)")
    parser.add_argument("--naive-size", type=int, default=20_000,
                        help="messages sent through the naive design, and ours beside it (at most N)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--links", action="store_true",
                        help="every campaign's body carries a link (sent as a per-recipient short link); compare "
                             "with the same run without it")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="sample the workers and gunicorn with py-spy, collapsed stacks written to DIR")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(BENCHES)
    if unknown or args.size < 1000:
        parser.error(f"unknown bench(es) {sorted(unknown)}" if unknown else "--size must be at least 1000")
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _sending_fixtures(ctx: Context) -> None:
    from bench.fixtures import contacts_create, shop_create

    ctx.shop_a = shop_create(domain="a.bench.myshopify.com", credits=4 * ctx.size + 10_000)
    contacts_create(shop_id=ctx.shop_a.id, consenting=ctx.size, opted_out=ctx.size // 20)
    ctx.shop_b = shop_create(domain="b.bench.myshopify.com", credits=10_000)
    contacts_create(shop_id=ctx.shop_b.id, consenting=SMALL_SHOP_RECIPIENTS)


def _report_fixtures(ctx: Context) -> None:
    from django.db import connection

    from bench.fixtures import sent_campaign_create, shop_create

    if ctx.shop_a is None:
        ctx.shop_a = shop_create(domain="a.bench.myshopify.com", credits=10_000)
    ctx.reports_campaign = sent_campaign_create(shop_id=ctx.shop_a.id, recipients=ctx.size)
    ctx.array_reports = ctx.size // 4
    ctx.single_pool = int(5000 * ctx.duration_s)
    ctx.single_campaign = sent_campaign_create(shop_id=ctx.shop_a.id, recipients=2 * ctx.single_pool)
    with connection.cursor() as cursor:  # no autovacuum of the earlier phases' dead rows during the measurement
        cursor.execute("VACUUM (ANALYZE) campaigns_campaignrecipient")


def _web_benches(ctx: Context, selected: list[str]) -> list[Figure]:
    from bench import reports, status
    from bench.stack import Stack

    stack = Stack(ctx.env, ctx.profile_dir, "web")
    try:
        stack.celery_worker()  # applies reports if the webhook hands them to the reports queue
        web = stack.gunicorn()
        figures = []
        if "reports" in selected:
            log("delivery reports in arrays")
            figures.append(reports.run_arrays(ctx, web))
            log("delivery reports one per request")
            figures.append(reports.run_single(ctx, web))
        if "status" in selected:
            log("status endpoint latency")
            figures.append(status.run(ctx, web))
        return figures
    finally:
        stack.close()


def phases(ctx: Context, selected: list[str]):
    """(name, callable) in run order; each callable returns figures."""
    from bench import enqueue, naive, quiet_us, retention, sending

    if {"enqueue", "send", "rss", "fairness"} & set(selected):
        yield "sending fixtures", lambda: _sending_fixtures(ctx) or []
    if "enqueue" in selected:
        yield "enqueue", lambda: enqueue.run(ctx)
    if {"send", "rss"} & set(selected):
        yield "send", lambda: [f for f in sending.run_fast(ctx) if f.key in _keys(selected)]
    if {"send", "fairness"} & set(selected):
        yield "send with slow provider", lambda: sending.run_slow(
            ctx, send="send" in selected, fairness="fairness" in selected)
    if "naive" in selected:
        yield "naive design beside ours", lambda: naive.run(ctx)
    if "quiet_us" in selected:
        yield "US quiet hours", lambda: quiet_us.run(ctx)
    if {"reports", "status"} & set(selected):
        yield "report fixtures", lambda: _report_fixtures(ctx) or []
        yield "reports and status", lambda: _web_benches(ctx, selected)
    if "retention" in selected:
        yield "retention", lambda: retention.run(ctx)


def _keys(selected: list[str]) -> set[str]:
    return {key for name in selected for key in FIGURES[name]}


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _terminate)
    env = BenchEnv()
    if args.links:
        from bench.drive import ShopApi

        ShopApi.links = True
    ctx = Context(env=env, size=args.size, duration_s=args.duration, profile_dir=args.profile,
                  naive_size=args.naive_size)
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    machine = machine_facts(env)
    log(f"size {args.size:,}; database {env.db_name}; key prefix {env.prefix}")
    if (machine["load_average_at_start"] or 0) > 0.5 * (machine["nproc"] or 1):
        log(f"warning: load average {machine['load_average_at_start']:.1f} — other work will skew the figures")
    try:
        env.create()
        env.activate()
        for name, phase in phases(ctx, args.only):
            log(name)
            try:
                figures.extend(phase())
            except Exception:
                errors[name] = traceback.format_exc()
                log(f"{name} failed:\n{errors[name]}")
    finally:
        env.drop()
    machine["load_average_at_end"] = load_average()
    write_json(args.output, size=args.size, machine=machine, figures=figures, errors=errors,
               command=f"python -m bench --size {args.size} --only {','.join(args.only)}"
                       + (" --links" if args.links else ""))
    print(f"\nShop SMS benchmarks, N = {args.size:,} ({machine['nproc']} cores, PostgreSQL {machine['postgresql']}, "
          f"Redis {machine['redis']}, Python {machine['python']}, {machine['date']})\n")
    print(table(figures))
    log(f"results written to {args.output}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
