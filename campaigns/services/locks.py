"""The one lock order of every writer of a shop's rows, so no two transactions wait on each other in a circle:

    shop → campaign → batches → recipients → counters

- shop: `shop_lock` / `shops_lock` (Shop rows, FOR NO KEY UPDATE, several in id order); every credit
  movement of billing/ updates this row too, so a writer that moves credits takes this lock first.
- campaign: `campaign_lock` (the campaign row after its shop's).
- batches: Batch rows (claim, requeue, fail, …: sending/batch_states.py); `campaign_lock(batch_id=…)` takes
  the one a transaction settles right after the campaign.
- recipients: CampaignRecipient rows.
- counters: the campaign's metrics row (metrics.services).

A writer may skip a level it does not touch, never go back up one: it takes the upper locks first even when it
writes those rows last (the credits after the recipients, the batch after its recipients, the campaign's
completion at the end). Rows a transaction inserts are at no level: no other transaction can see them, hence
wait on them, before it commits (enqueue inserts recipients, then batches, under the shop and campaign locks;
the held-recipient release inserts batches under the same).

Every writer follows it:
- enqueue, cancel, pause, resume, completion, suspension, test sends: shop → campaign → … (sending/enqueue,
  lifecycle, suspension, one_off).
- a batch failed, unknown batches settled: `campaign_lock(campaign_id, batch_id)` first, then recipients →
  credits (shop row, held) → counters → batch → campaign (sending/apply, unknown).
- a batch's answer applied (sending/apply `batch_apply_answer`), the one exception: its own queued recipients
  first, then `campaign_lock(campaign_id, batch_id)` → credits → counters → batch → campaign. While a batch is
  `submitting`, the claim makes its worker the only writer of its queued recipients: cancel moves only those
  of cancelled batches, exclusions and repricing run before the claim, the held release moves held rows,
  delivery reports match `sent` rows by message id (these rows have none until the answer commits), retention
  touches finished campaigns. So no transaction holding a lock above can wait on these rows, and there is no
  circle; in exchange the shop and campaign rows are held for the bookkeeping alone, not for the 5000-row
  UPDATE, and two workers apply their answers side by side (without it each waited ~100 ms a batch for the
  other's shop lock, measured in PostgreSQL's log during the bench).
- send-time exclusions and repricing: shop, then recipients → counters (sending/exclusions, repricing).
- the held-recipient release: shop → campaign → recipients → new batches → counters (sending/held_release).
- claim and dispatch: batch → recipients, campaign → batches (sending/batch_states, dispatch); no shop.
- delivery reports (many campaigns and shops per payload): when the payload has failed outcomes (a refund
  moves credits), the shops of their `sent` recipients are locked in id order before the one UPDATE of
  recipients → counters (reports/delivery). A recipient that becomes `sent` between that lookup and the
  UPDATE (its batch's answer committed in between) makes its shop's refund lock come last; PostgreSQL then
  may break a rare deadlock, and the payload's transaction is retried (`retry_on_deadlock`), never answered
  as an error.
- retention: a finished campaign's recipients, then its batches, each chunk its own transaction touching one
  level (sending/retention).
- a credit purchase is settled under the shop's lock alone (purchases/settle.py: the shop, then the
  purchase's conditional UPDATE and its ledger row); it takes no level below.
- clicks: recipients → click counters (links/clicks); order attribution: shop → revenue counters
  (links/attribution).
"""

from collections.abc import Iterable

from campaigns.models import Batch, Campaign, Shop


def shop_lock(*, shop_id: int) -> None:
    """Lock the shop row until the transaction ends: the first lock of the order above."""
    list(Shop.objects.select_for_update(no_key=True).filter(id=shop_id).values_list("id", flat=True))


def shops_lock(*, shop_ids: Iterable[int]) -> None:
    """Lock several shop rows in id order (one statement), for writers spanning shops."""
    ids = sorted(set(shop_ids))
    if ids:
        list(Shop.objects.select_for_update(no_key=True).filter(id__in=ids).order_by("id").values_list("id", flat=True))


def campaign_lock(*, campaign_id: int, batch_id: int | None = None) -> int | None:
    """Lock the campaign's shop, then the campaign, then (given) one of its batches; returns the shop id
    (None: no such campaign)."""
    shop_id = Campaign.objects.filter(id=campaign_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        return None
    shop_lock(shop_id=shop_id)
    list(Campaign.objects.select_for_update(no_key=True).filter(id=campaign_id).values_list("id", flat=True))
    if batch_id is not None:
        list(Batch.objects.select_for_update(no_key=True).filter(id=batch_id).values_list("id", flat=True))
    return shop_id
