"""The one lock order of every writer of a shop's rows, so no two transactions wait on each other in a circle:

    shop → campaign → batches → recipients → counters

- shop: `shop_lock` (the Shop row, FOR NO KEY UPDATE); every credit movement of billing/ updates this row too.
- campaign: `Campaign … select_for_update(no_key=True)`.
- batches: Batch rows (claim, requeue, fail, …: sending/batch_states.py).
- recipients: CampaignRecipient rows.
- counters: the campaign's metrics row (metrics.services).

A credit purchase is settled under the shop's lock alone (purchases/settle.py: the shop, then the purchase's
conditional UPDATE and its ledger row); it takes no level below.

A writer may skip a level it does not touch, never go back up one. Writers reference this module instead of
describing an order of their own. Known writers that do not follow it yet (a later issue makes them): applying a
batch's answer, failing a batch and settling unknown ones (recipients → shop → counters → batch → campaign),
the send-time exclusions (recipients → shop → counters), delivery reports (recipients → counters → shop for
refunds), enqueue (recipients inserted before their batches) and the held-recipient release (recipients →
batches).
"""

from campaigns.models import Shop


def shop_lock(*, shop_id: int) -> None:
    """Lock the shop row until the transaction ends: the first lock of the order above."""
    list(Shop.objects.select_for_update(no_key=True).filter(id=shop_id).values_list("id", flat=True))
