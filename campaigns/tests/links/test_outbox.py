"""The redirect's outbox (services/links/outbox.py): items handed over without waiting, sent in batches by a
background thread, every item once; drain sends what is left."""

import threading

from campaigns.services.links.outbox import Outbox


def test_every_item_is_sent_once_in_batches_no_larger_than_asked():
    batches = []
    outbox = Outbox(batches.append, batch=3, wait_s=60)
    for item in range(10):
        outbox.put(item)
    outbox.drain()

    assert sorted(item for batch in batches for item in batch) == list(range(10))
    assert all(1 <= len(batch) <= 3 for batch in batches)


def test_a_lone_item_leaves_without_a_drain():
    sent = threading.Event()
    outbox = Outbox(lambda items: sent.set(), batch=100, wait_s=0.01)
    outbox.put("click")
    assert sent.wait(timeout=30)


def test_a_failing_send_does_not_stop_the_outbox():
    batches = []

    def send(items):
        if items == ["bad"]:
            raise RuntimeError("sender bug")
        batches.append(items)

    outbox = Outbox(send, batch=1, wait_s=0.01)
    outbox.put("bad")
    outbox.drain()
    outbox.put("good")
    outbox.drain()
    assert ["good"] in batches
