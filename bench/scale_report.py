"""What a scale-out run (bench.scale_out) did and must show: the limits it runs under, its record, the simulator's
and the database's view of it afterwards, the checks, and the summary table."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import requests

from bench import netns
from bench.procs import Proc

BATCH = 500
TENANT_MAX, ACCOUNT_MAX, WINDOW_MS = 5, 8, 1000
# The limiter stamps a request when it grants it, the simulator when it arrives: on a loaded machine two
# arrivals can come closer together than their grants by the time it takes to read and render a batch. The
# windows checked are shortened by that much (as in campaigns/tests/test_reliability_ratelimit.py).
JITTER_S = 0.15


@dataclass
class Run:
    """What happened, for the checks and the summary."""

    hosts: list[netns.Host] = field(default_factory=list)
    campaigns: list[int] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    killed: int = 0
    processed_at_kill: int = 0
    elapsed_s: float = 0.0
    submitted_by_host: list[int] = field(default_factory=list)
    redispatched: int = 0  # batches beat's recover_batches dispatched again (a dead worker held their messages)


def max_in_window(times: list[float], window_s: float) -> int:
    """The most requests in any `window_s` window (the reliability tests' measure; imported once Django is set up)."""
    from campaigns.tests.support.reliability_helpers import max_in_window as most

    return most(times, window_s)


@dataclass
class Findings:
    destinations: Counter
    recipients: list[tuple[str, str, str]]  # (phone, status, error)
    campaign_states: list[str]
    unknown_batches: int
    requests: list[dict]

    @property
    def duplicates(self) -> int:
        return sum(1 for count in self.destinations.values() if count > 1)

    def per_shop_max(self, window_s: float) -> int:
        by_shop = defaultdict(list)
        for request in self.requests:
            by_shop[tuple(request["senders"])].append(request["at"])
        return max(max_in_window(times, window_s) for times in by_shop.values())

    def account_max(self, window_s: float) -> int:
        return max_in_window([request["at"] for request in self.requests], window_s)


def gather(run: Run, simulator_url: str) -> Findings:
    from django.db import connection

    destinations: Counter = Counter()
    offset = 0
    while True:
        page = requests.get(f"{simulator_url}/_sim/messages", params={"offset": offset, "limit": 20000},
                            timeout=60).json()
        destinations.update(message["destination"] for message in page["messages"])
        offset += len(page["messages"])
        if not page["messages"] or offset >= page["total"]:
            break
    posts = [r for r in requests.get(f"{simulator_url}/_sim/requests", timeout=60).json()
             if r["method"] == "POST" and r["status"] == 200]
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, status, error FROM campaigns_campaignrecipient WHERE campaign_id = ANY(%s)",
                       [run.campaigns])
        recipients = cursor.fetchall()
        cursor.execute("SELECT status FROM campaigns_campaign WHERE id = ANY(%s) ORDER BY id", [run.campaigns])
        states = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM campaigns_batch WHERE campaign_id = ANY(%s) AND status = 'unknown'",
                       [run.campaigns])
        unknown = cursor.fetchone()[0]
    return Findings(destinations, recipients, states, unknown, posts)


def checks(run: Run, found: Findings, total: int) -> list[tuple[str, bool, str]]:
    """(what, held, detail) for every property the run must show."""
    from campaigns.services.sending.unknown import OUTCOME_UNKNOWN

    counted_sent = [phone for phone, status, _ in found.recipients if status in ("sent", "delivered")]
    never_sent = [(status, error) for phone, status, error in found.recipients if phone not in found.destinations]
    phones = {phone for phone, _, _ in found.recipients}
    window = WINDOW_MS / 1000 - JITTER_S
    return [
        ("every recipient enqueued", len(found.recipients) == total, f"{len(found.recipients):,} of {total:,}"),
        ("no destination messaged twice", found.duplicates == 0, f"{found.duplicates} duplicated"),
        ("only recipients messaged", set(found.destinations) <= phones,
         f"{len(set(found.destinations) - phones)} strangers"),
        ("each recipient counted sent got exactly one message",
         all(found.destinations[phone] == 1 for phone in counted_sent), f"{len(counted_sent):,} counted sent"),
        ("the only ones never sent are a dead worker's claimed batches, ended outcome_unknown",
         all(status == "failed" and error == OUTCOME_UNKNOWN for status, error in never_sent),
         f"{len(never_sent):,} never sent, {found.unknown_batches} unknown batches"),
        (f"per shop ≤ {TENANT_MAX} requests per {window:.2f} s window", found.per_shop_max(window) <= TENANT_MAX,
         f"max {found.per_shop_max(window)}"),
        (f"per traffic account ≤ {ACCOUNT_MAX} requests per {window:.2f} s window",
         found.account_max(window) <= ACCOUNT_MAX, f"max {found.account_max(window)}"),
        ("the account limit was really pressed", found.account_max(2 * WINDOW_MS / 1000) >= ACCOUNT_MAX,
         f"max {found.account_max(2 * WINDOW_MS / 1000)} per {2 * WINDOW_MS / 1000:.0f} s"),
        ("a worker died mid-send", 0 < run.processed_at_kill < total, f"{run.processed_at_kill:,} processed at kill"),
        ("every surviving host sent batches",
         all(count > 0 for index, count in enumerate(run.submitted_by_host) if index != run.killed),
         f"batches per host {run.submitted_by_host}"),
        ("both campaigns completed", found.campaign_states == ["completed"] * len(run.campaigns),
         ", ".join(found.campaign_states)),
    ]


def summary(run: Run, found: Findings, total: int) -> str:
    from campaigns.services.sending.unknown import OUTCOME_UNKNOWN

    window = WINDOW_MS / 1000
    unknown = [phone for phone, _, error in found.recipients if error == OUTCOME_UNKNOWN]
    received = sum(1 for phone in unknown if phone in found.destinations)
    rows = [
        ("hosts", f"{len(run.hosts)} namespaces, 1 worker each (host {run.killed} SIGKILLed at "
                  f"{run.processed_at_kill:,} processed); batches submitted per host {run.submitted_by_host}"),
        ("messages", f"{sum(found.destinations.values()):,} accepted by the simulator, {len(found.destinations):,} "
                     f"destinations, of {total:,} recipients"),
        ("duplicates", str(found.duplicates)),
        ("dead worker's batches", f"{run.redispatched} re-dispatched by beat (their messages died with it); "
                                  f"{found.unknown_batches} ended unknown: {len(unknown):,} recipients counted "
                                  f"failed ({OUTCOME_UNKNOWN}), never resent; {received:,} of them had been "
                                  f"accepted by the simulator, {len(unknown) - received:,} never sent"),
        ("max requests per shop", f"{found.per_shop_max(window)} per {window:.0f} s (arrival times), "
                                  f"{found.per_shop_max(window - JITTER_S)} per {window - JITTER_S:.2f} s; "
                                  f"limit {TENANT_MAX}"),
        ("max requests per account", f"{found.account_max(window)} per {window:.0f} s (arrival times), "
                                     f"{found.account_max(window - JITTER_S)} per {window - JITTER_S:.2f} s; "
                                     f"limit {ACCOUNT_MAX}"),
        ("requests", f"{len(found.requests)} bulk requests of ≤ {BATCH}"),
        ("elapsed", f"{run.elapsed_s:.1f} s enqueue → both campaigns completed"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"| {name.ljust(width)} | {value} |" for name, value in rows)
