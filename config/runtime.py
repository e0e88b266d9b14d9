"""Objects a long-running process made at start-up kept out of the cyclic garbage collector's walks.

A worker or web process holds about 100,000 tracked objects from its imports (Django, Celery, DRF, ours)
that live until it exits. CPython's collector walks all of them at every full collection, and the send
path allocates tens of thousands of small objects per 5000-message batch (request items, outcomes, rows),
which brings full collections round every batch or two. `gc.freeze()` moves the start-up objects to the
permanent generation: a collection then walks only what the work itself allocated. Measured in a process
with the project imported: building 5000 small dicts 200 times took 4.4 s with the collector as it is and
0.57 s after the freeze (0.54 s with it off). Python's documentation recommends it for forking servers.
"""

import gc


def freeze_startup_objects() -> None:
    """Collect what start-up left behind, then exclude the survivors from every later collection."""
    gc.collect()
    gc.freeze()
