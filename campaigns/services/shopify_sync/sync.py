"""The full customer sync: every Shopify customer of a shop read and applied to its contacts (customers.py), in
chunks that each commit with the install's progress and checkpoint, so a sync whose worker was killed resumes
where its last chunk ended.

A shop is read a page at a time (GraphQL `customers(first: 250)`); once more than SHOPIFY_SYNC_BULK_THRESHOLD
customers were read that way and pages remain, the sync switches to a bulk operation and streams its JSON Lines
from the start (re-applying the first pages changes nothing). Checkpoints: the paging cursor (`sync_cursor`) or
the bulk file's URL and how many of its lines were applied (`sync_bulk_url`, `sync_offset`).

The bulk file is read in blocks of BULK_CHUNK lines (the first ones smaller) by a thread of its own, which also
parses each block into staging rows (`customers.customer_lines_read`) while this thread has PostgreSQL apply the
last one; until a COPY of new contacts was refused, it makes each block ready to COPY as new contacts
(customers_new.py; it asks PostgreSQL, on its own connection, whether the block's customers are linked already
and, where not, for the contacts' ids).

May call: customers.py, customers_new.py, install.py (the Admin client), the `shopify` edge.
"""

import gc
import logging
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Shop, ShopifyInstall
from campaigns.services.errors import DomainError
from campaigns.services.shopify_sync.customers import (
    Applied,
    ReadBlock,
    customer_lines_apply,
    customer_lines_read,
    customers_apply,
)
from campaigns.services.shopify_sync.customers_new import new_rows_ready
from campaigns.services.shopify_sync.install import shopify_client
from shopify import admin
from shopify.client import AdminClient
from shopify.errors import UserErrors

logger = logging.getLogger(__name__)
State = ShopifyInstall.SyncState
BULK_CHUNK = 50_000
BULK_FIRST = BULK_CHUNK // 8  # the first blocks smaller: PostgreSQL starts while the next ones are parsed


def shopify_sync_run(*, install_id: int) -> str:
    """Run (or resume) the install's running sync to its end: `done`, or `not_running` when there is none.
    The edge's TransientError/Throttled propagate for the task to retry (it resumes from the checkpoint); any
    other Shopify error marks the sync failed with its message."""
    install = ShopifyInstall.objects.select_related("shop").get(pk=install_id)
    if install.sync_state != State.RUNNING:
        return "not_running"
    if not install.connected:
        _finish(install_id, State.FAILED, "The shop was uninstalled during the sync.")
        return "failed"
    client = shopify_client(install=install)
    if install.sync_mode != "bulk" and _paged(install, client) == "done":
        _finish(install_id, State.DONE)
        return "done"
    _bulk(ShopifyInstall.objects.select_related("shop").get(pk=install_id), client)
    _finish(install_id, State.DONE)
    return "done"


def shopify_sync_fail(*, install_id: int, error: str) -> None:
    """Mark the running sync failed (the task gave up on it)."""
    _finish(install_id, State.FAILED, error)


def _paged(install: ShopifyInstall, client: AdminClient) -> str:
    """Apply pages from the checkpoint; `done` at the last page, `bulk` when the shop proved big."""
    threshold = settings.SHOPIFY_SYNC_BULK_THRESHOLD
    for page in admin.customer_pages(client, after=install.sync_cursor or None):
        seen = _chunk_apply(install, lambda now, page=page: customers_apply(
            shop=install.shop, customers=page.customers, now=now) if page.customers else Applied(),
            cursor=page.end_cursor or "", offset=0, mode="paged")
        if page.has_next_page and seen > threshold:
            ShopifyInstall.objects.filter(pk=install.pk).update(sync_mode="bulk", sync_offset=0, sync_cursor="",
                                                                   customers_seen=0, skipped_no_phone=0)
            return "bulk"
    return "done"


def _bulk(install: ShopifyInstall, client: AdminClient) -> None:
    """Apply the bulk file from its checkpoint. Blocks are read and written as new contacts (customers_new.py)
    until a COPY of them was refused (the shop had one of the phones: its contacts did not all come from this
    sync); a block whose customers are linked already goes the statement's way on its own."""
    url = install.sync_bulk_url or _bulk_url(install, client)
    lines_done, shop = install.sync_offset, install.shop
    as_new = threading.Event()
    if connection.vendor == "postgresql":
        as_new.set()

    def apply(now: datetime, block: ReadBlock) -> Applied:
        if block.new is not None and not as_new.is_set():
            block.for_statement()  # read ahead before a COPY was refused
        applied = customer_lines_apply(shop=shop, block=block, now=now)
        if applied.copy == "refused":
            as_new.clear()
        return applied

    blocks = admin.bulk_line_blocks(url, skip=lines_done, lines=BULK_CHUNK, first=BULK_FIRST)
    with _interpreter_for_two_threads():
        for lines, block in _read_ahead(_read(blocks, first=lines_done + 1, shop=shop, as_new=as_new)):
            lines_done += lines
            _chunk_apply(install, lambda now, block=block: apply(now, block), cursor="", offset=lines_done,
                         mode="bulk")


@contextmanager
def _interpreter_for_two_threads() -> Iterator[None]:
    """The interpreter set for the reading thread's Python beside this thread's waits, while the bulk file is read.

    - The cyclic garbage collector off: the reading thread makes a few objects a line (the JSON, the records,
      the row), so a million lines had the collector walk the blocks in flight thousands of times, a third of
      the parsing time (0.41 s a 50,000-line block without it, 0.56 s with it, measured). Nothing the sync makes
      holds a cycle: reference counting frees it all the same.
    - The GIL handed over every millisecond rather than every five: this thread writes a chunk's COPY data
      128 kB at a time and after each wait on the socket needs the GIL back from the parsing thread. Measured on
      the million-customer sync: 12.4-14.4 s against 14.6-16.6 s at the default.
    """
    enabled, interval = gc.isenabled(), sys.getswitchinterval()
    gc.disable()
    sys.setswitchinterval(0.001)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        if enabled:
            gc.enable()


def _read(blocks: Iterator[list[bytes]], *, first: int, shop: Shop, as_new: threading.Event
          ) -> Iterator[tuple[int, ReadBlock]]:
    """Each block's count of lines and its staging rows, lines numbered from `first`: made ready to COPY as new
    contacts while `as_new` and its customers are not linked yet (asked on this thread's own connection, closed
    at the end), else for the statement."""
    try:
        for lines in blocks:
            block = customer_lines_read(lines, first_number=first, region=shop.default_region,
                                        as_new=as_new.is_set())
            if block.new is not None and not new_rows_ready(block.new, shop_id=shop.pk):
                block.for_statement()  # its customers are linked already
            yield len(lines), block
            first += len(lines)
    finally:
        connection.close()


def _bulk_url(install: ShopifyInstall, client: AdminClient) -> str:
    """The URL of a finished customer export: the one running for this shop, or a new one."""
    try:
        operation_id = admin.bulk_customers_start(client).operation_id or None
    except UserErrors:  # one runs already (ours, started before a worker was killed)
        operation_id = None
    operation = admin.bulk_operation_wait(client, operation_id=operation_id,
                                          interval_s=settings.SHOPIFY_SYNC_BULK_POLL_S)
    if operation.status != "COMPLETED" or not operation.url:
        raise DomainError("bulk_failed", f"The customer export ended {operation.status} ({operation.error_code}).")
    ShopifyInstall.objects.filter(pk=install.pk).update(sync_bulk_url=operation.url, sync_offset=0)
    return operation.url


def _read_ahead(items: Iterator[list], depth: int = 3) -> Iterator[list]:
    """`items`, produced by a thread of their own up to `depth` ahead: the next chunk is downloaded and parsed
    (Python) while this thread waits for PostgreSQL to apply the last one. An error there is raised here; stopping
    early stops the thread."""
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop, done = threading.Event(), object()

    def give(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not give(item):
                    return
            give(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            give(exc)
        finally:  # in this thread: a generator's cleanup (the bulk file's response) runs where it ran
            getattr(items, "close", lambda: None)()

    producer = threading.Thread(target=produce, name="shopify-sync-read", daemon=True)
    producer.start()
    try:
        while (item := handoff.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        producer.join(timeout=5)


def _chunk_apply(install: ShopifyInstall, apply: Callable[[datetime], Applied], *, cursor: str, offset: int,
                 mode: str) -> int:
    """Apply one chunk (`apply(now)`) and move the counters and checkpoint with it, in one transaction; customers
    seen so far."""
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        locked = ShopifyInstall.objects.select_for_update().get(pk=install.pk)
        if locked.sync_state != State.RUNNING:
            raise DomainError("sync_stopped", "The sync was stopped.")
        applied = apply(timezone.now())
        ShopifyInstall.objects.filter(pk=install.pk).update(
            sync_mode=mode, sync_cursor=cursor[:500], sync_offset=offset,
            customers_seen=F("customers_seen") + applied.seen,
            contacts_created=F("contacts_created") + applied.created,
            contacts_updated=F("contacts_updated") + applied.updated,
            skipped_no_phone=F("skipped_no_phone") + applied.skipped_no_phone,
        )
    return locked.customers_seen + applied.seen


def _commit_without_waiting_for_disk() -> None:
    """A chunk's commit does not wait for its WAL flush: a crash may lose the last chunks, but each with its
    checkpoint (same transaction), so the resumed sync applies them again. Saves a disk flush per chunk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _finish(install_id: int, state: str, error: str = "") -> None:
    now = timezone.now()
    changes = {"sync_state": state, "sync_error": error[:500], "sync_mode": "", "sync_cursor": "",
               "sync_bulk_url": "", "sync_offset": 0}
    if state == State.DONE:
        changes["last_sync_at"] = now
    ShopifyInstall.objects.filter(pk=install_id, sync_state=State.RUNNING).update(**changes)
