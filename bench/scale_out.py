"""`python -m bench.scale_out [--recipients 100000] [--hosts 3]` (`make scale`, as root): workers on several hosts.

Each "host" is a network namespace of this machine with a veth link and nothing else (bench.netns). PostgreSQL,
Redis and the Mitto simulator stay on the host side (on 127.0.0.1); a TCP forwarder (bench.forward) listens on
the host end of each link, so the workers reach them over their own network, as from another machine. One
Celery worker runs in each namespace against the one broker and the one database; one beat runs on the host.

Two shops on one traffic account send a campaign each (`--recipients` in all) in batches small enough for both
rate limits to bind; once a third of the messages are sent, one host's worker is SIGKILLed (its whole process
group) while the others carry on, and beat's recovery finishes the work. Then, from the simulator's records:
no destination was messaged twice, each recipient counted sent got exactly one message, the ones never sent
are only those of a batch the dead worker had claimed (ended `outcome_unknown`, never resent), the
per-shop and per-account request rates stayed within their limits, and both campaigns completed.

Prints a summary table; exits 0 when every check holds, 1 when one fails, 2 when namespaces cannot be made
here. Every namespace, link, process, the database and the Redis keys are removed on exit, also on failure.
"""

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import netns
from bench.env import BenchEnv
from bench.procs import Proc, python_argv
from bench.scale_report import ACCOUNT_MAX, BATCH, TENANT_MAX, WINDOW_MS, Run, checks, gather, summary

SENDERS = ("ScaleOne", "ScaleTwo")
FIRST_PHONE = 12013000000
RECOVERY = {  # beat ten times faster and short recovery deadlines, so a killed worker's batches settle in seconds
    "BEAT_INTERVAL_SCALE": "0.1",
    "SEND_STALE_DISPATCH_S": "10",
    "SEND_SUBMIT_DEADLINE_S": "10",
    "SEND_UNKNOWN_REVIEW_S": "10",
    "SEND_RETRY_BASE_DELAY_S": "0.2",
}


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000, help="messages in all, over two shops")
    parser.add_argument("--hosts", type=int, default=3, choices=(2, 3, 4), help="namespaces, one worker each")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--delay-ms", type=int, default=100, help="the simulator's answer delay")
    parser.add_argument("--kill-at", type=float, default=1 / 3, help="share of messages sent when a worker dies")
    parser.add_argument("--timeout", type=float, default=300, help="seconds the send may take in all")
    args = parser.parse_args(argv)
    if args.recipients < 2 * BATCH:
        parser.error(f"--recipients must be at least {2 * BATCH}")
    return args


def _settings_env() -> dict[str, str]:
    return {
        "SMS_BATCH_SIZE": str(BATCH),
        "RATE_LIMIT_TENANT_MAX": str(TENANT_MAX), "RATE_LIMIT_TENANT_WINDOW_MS": str(WINDOW_MS),
        "RATE_LIMIT_TRAFFIC_ACCOUNT_MAX": str(ACCOUNT_MAX), "RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS": str(WINDOW_MS),
        **RECOVERY,
    }


def _endpoint(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or {"postgres": 5432, "redis": 6379}.get(parts.scheme, 80)


def _via(url: str, host: str) -> str:
    """`url` with its host replaced by `host` (the port, credentials and path kept)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    address = f"{host}:{_endpoint(url)[1]}"
    return urlunsplit((parts.scheme, f"{netloc[0]}@{address}" if netloc[1] else address, parts.path,
                       parts.query, parts.fragment))


def _wait_listening(addresses: list[tuple[str, int]], proc: Proc, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    for address in addresses:
        while True:
            with contextlib.suppress(OSError), socket.create_connection(address, timeout=1):
                break
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"forwarder not listening on {address}:\n{proc.tail()}")
            time.sleep(0.1)


class ScaleOut:
    """The processes and data of one run; `close()` removes all of them."""

    def __init__(self, args: argparse.Namespace):
        from bench.stack import Stack

        pid = os.getpid()
        self.args = args
        self.env = BenchEnv(db_name=f"shopsms_scale_{pid}", prefix=f"scale{pid}")
        self.namespaces = netns.Hosts(f"ssms{pid}")
        self.stack = Stack(self.env, None, "scale")
        self.run = Run()
        self.beat_dir = tempfile.mkdtemp(prefix="scale-beat-")

    def close(self) -> None:
        for step in (self.stack.close, self.namespaces.close, self.env.drop,
                     lambda: shutil.rmtree(self.beat_dir, ignore_errors=True)):
            try:
                step()
            except Exception as exc:  # every step is tried: one failing must not leave the others' leftovers
                log(f"cleanup step {step.__qualname__} failed: {exc}")

    def setup(self) -> None:
        os.environ.update(_settings_env())
        self.env.create()
        self.env.activate()
        import redis

        from config.broker import marker_key

        redis.Redis.from_url(self.env.redis_url).set(marker_key(), 1)  # a new deployment's broker lost nothing
        self.run.hosts = self.namespaces.create(self.args.hosts)
        log("namespaces: " + ", ".join(f"{h.name} ({h.ns_ip} → {h.host_ip})" for h in self.run.hosts))
        self.simulator_url = self.stack.simulator(delay_ms=self.args.delay_ms)
        self._forward()

    def _forward(self) -> None:
        targets = [_endpoint(self.env.database_url), _endpoint(self.env.redis_url), _endpoint(self.simulator_url)]
        pairs, listening = [], []
        for host in self.run.hosts:
            for target_host, port in targets:
                pairs.append(f"{host.host_ip}:{port}={target_host}:{port}")
                listening.append((host.host_ip, port))
        proc = self.stack.procs.start("forward", python_argv("-m", "bench.forward", *pairs), self.env.process_env())
        _wait_listening(listening, proc)

    def _worker_env(self, host: netns.Host) -> dict[str, str]:
        return self.env.process_env(
            DATABASE_URL=_via(self.env.database_url, host.host_ip),
            REDIS_URL=_via(self.env.redis_url, host.host_ip),
            CELERY_BROKER_URL=_via(self.env.redis_url, host.host_ip),
            MITTO_API_BASE=_via(self.simulator_url, host.host_ip),
            LOG_LEVEL="INFO",
            **_settings_env(),
        )

    def start_workers(self) -> None:
        queues = ",".join(f"{self.env.prefix}.{name}" for name in ("send", "reports", "periodic"))
        names = []
        for index, host in enumerate(self.run.hosts):
            name = f"{self.env.prefix}-host{index}@{host.name}"
            argv = host.exec_argv(python_argv(
                "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency",
                str(self.args.concurrency), "--queues", queues, "--loglevel", "INFO", "--without-gossip",
                "--without-mingle", "--hostname", name))
            self.run.workers.append(self.stack.procs.start(f"worker-{host.name}", argv, self._worker_env(host)))
            names.append(name)
        _wait_workers(self.run.workers, names)
        schedule = Path(self.beat_dir) / "schedule"
        self.stack.procs.start("beat", python_argv("-m", "celery", "-A", "config", "beat", "--schedule",
                                                   str(schedule), "--loglevel", "WARNING"),
                               self.env.process_env(**_settings_env()))

    def create_campaigns(self) -> list:
        from bench.drive import ShopApi
        from bench.fixtures import contacts_create, shop_create
        from campaigns.models import Shop

        apis, per_shop = [], self.args.recipients // len(SENDERS)
        for index, sender in enumerate(SENDERS):
            count = per_shop if index else self.args.recipients - per_shop * (len(SENDERS) - 1)
            shop = shop_create(domain=f"{sender.lower()}.scale.myshopify.com", credits=2 * count + 1000)
            Shop.objects.filter(id=shop.id).update(sender=sender)
            contacts_create(shop_id=shop.id, consenting=count, first=FIRST_PHONE + index * 1_000_000)
            api = ShopApi(shop)
            apis.append((api, api.campaign_create(f"scale-out {sender}")))
        return apis

    def send(self) -> None:
        from bench.drive import progress, wait_terminal

        apis = self.create_campaigns()
        self.start_workers()
        started = time.monotonic()
        for api, campaign_id in apis:
            api.enqueue(campaign_id)
            self.run.campaigns.append(campaign_id)
        total = self.args.recipients
        deadline = started + self.args.timeout
        while sum(progress(cid).processed for cid in self.run.campaigns) < self.args.kill_at * total:
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError("the send never reached the kill point")
            time.sleep(0.05)
        victim = self.run.workers[self.run.killed]
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its pool children, mid-send
        victim.popen.wait(10)
        self.run.processed_at_kill = sum(progress(cid).processed for cid in self.run.campaigns)
        log(f"SIGKILLed the worker of {self.run.hosts[self.run.killed].name} at "
            f"{self.run.processed_at_kill:,}/{total:,} messages processed")
        for campaign_id in self.run.campaigns:
            wait_terminal(campaign_id, timeout_s=max(1.0, deadline - time.monotonic()), check=self._check_alive)
        self.run.elapsed_s = time.monotonic() - started
        self.run.submitted_by_host = [_batches_submitted(worker) for worker in self.run.workers]
        self.run.redispatched = sum(_redispatched(worker) for worker in self.run.workers)

    def _check_alive(self) -> None:
        for index, worker in enumerate(self.run.workers):
            if index != self.run.killed and not worker.alive():
                raise RuntimeError(f"worker {index} died:\n{worker.tail()}")


def _wait_workers(workers: list[Proc], names: list[str], timeout_s: float = 90) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for worker in workers:
            if not worker.alive():
                raise RuntimeError(f"{worker.name} exited with {worker.popen.returncode}:\n{worker.tail()}")
        answered = {name for reply in app.control.ping(destination=names, timeout=1.0) for name in reply}
        if answered >= set(names):
            return
        time.sleep(0.2)
    raise RuntimeError(f"workers not ready within {timeout_s:.0f} s")


_SUBMITTED = re.compile(rb"campaigns\.send_batch\[[^\]]+\] succeeded in [0-9.e-]+s: 'submitted'")


_REDISPATCHED = re.compile(rb"campaigns\.recover_batches\[[^\]]+\] succeeded in [0-9.e-]+s: \{'redispatched': (\d+)")


def _batches_submitted(worker: Proc) -> int:
    """Batches this worker submitted, from its log (Celery's line for each task that ended `submitted`)."""
    return len(_SUBMITTED.findall(Path(worker.log.name).read_bytes()))


def _redispatched(worker: Proc) -> int:
    """Batches beat's recovery dispatched again in the runs of recover_batches this worker made (its log)."""
    return sum(int(count) for count in _REDISPATCHED.findall(Path(worker.log.name).read_bytes()))


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    unavailable = netns.available()
    if unavailable:
        print(f"scale-out test not run: {unavailable}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    scale = ScaleOut(args)
    try:
        scale.setup()
        log(f"{args.recipients:,} recipients, {args.hosts} hosts, batches of {BATCH}, limits {TENANT_MAX}/shop "
            f"and {ACCOUNT_MAX}/account per {WINDOW_MS} ms")
        scale.send()
        found = gather(scale.run, scale.simulator_url)
    finally:
        scale.close()
        left = scale.namespaces.left_behind()
        if left:
            log(f"left behind: {left}")
    results = checks(scale.run, found, args.recipients)
    print(f"\nScale-out: {args.hosts} hosts, {args.recipients:,} recipients\n")
    print(summary(scale.run, found, args.recipients))
    print()
    for what, held, detail in results:
        print(f"{'ok  ' if held else 'FAIL'} {what}: {detail}")
    return 0 if all(held for _, held, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
