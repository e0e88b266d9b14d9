"""The full customer sync: every Shopify customer of a shop read and applied to its contacts (customers.py), in
chunks that each commit with the install's progress and checkpoint, so a sync whose worker was killed resumes
where its last chunk ended.

A shop is read a page at a time (GraphQL `customers(first: 250)`); once more than SHOPIFY_SYNC_BULK_THRESHOLD
customers were read that way and pages remain, the sync switches to a bulk operation and streams its JSON Lines
from the start (re-applying the first pages changes nothing). Checkpoints: the paging cursor (`sync_cursor`) or
the bulk file's URL and how many of its lines were applied (`sync_bulk_url`, `sync_offset`).

The bulk file is read in blocks of BULK_CHUNK lines by a thread of its own, which also parses each block into
staging rows (`customers.customer_lines_read`, no database) while this thread has PostgreSQL apply the last one.

May call: customers.py, install.py (the Admin client), the `shopify` edge.
"""

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Contact, ShopifyInstall
from campaigns.services.errors import DomainError
from campaigns.services.shopify_sync.customers import (
    Applied,
    ReadBlock,
    customer_lines_apply,
    customer_lines_read,
    customers_apply,
)
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
    while the shop had no contacts when this began and no chunk met one of its phones or customers."""
    url = install.sync_bulk_url or _bulk_url(install, client)
    lines_done, shop = install.sync_offset, install.shop
    as_new = threading.Event()
    if not Contact.objects.filter(shop=shop).exists():
        as_new.set()

    def apply(now: datetime, block: ReadBlock) -> Applied:
        if not as_new.is_set():
            block.new = None  # read ahead before a chunk met the shop's contacts
        applied = customer_lines_apply(shop=shop, block=block, now=now)
        if block.new is not None and not applied.by_copy:
            as_new.clear()
        return applied

    blocks = admin.bulk_line_blocks(url, skip=lines_done, lines=BULK_CHUNK, first=BULK_FIRST)
    for lines, block in _read_ahead(_read(blocks, first=lines_done + 1, region=shop.default_region, as_new=as_new)):
        lines_done += lines
        _chunk_apply(install, lambda now, block=block: apply(now, block), cursor="", offset=lines_done, mode="bulk")


def _read(blocks: Iterator[list[bytes]], *, first: int, region: str, as_new: threading.Event
          ) -> Iterator[tuple[int, ReadBlock]]:
    """Each block's count of lines and its staging rows, lines numbered from `first`."""
    for lines in blocks:
        yield len(lines), customer_lines_read(lines, first_number=first, region=region, as_new=as_new.is_set())
        first += len(lines)


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


def _read_ahead(items: Iterator[list], depth: int = 2) -> Iterator[list]:
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
