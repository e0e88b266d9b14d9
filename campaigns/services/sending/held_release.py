"""Beat's release of recipients held for quiet hours (sending/exclusions.py holds them): those whose window
has opened are numbered into new batches after the campaign's last one, which are dispatched.

Lock order: see campaigns.services.locks (shop → campaign → recipients; the batches it inserts are new rows).
"""

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Batch, Campaign, CampaignRecipient
from campaigns.services.compliance import quiet_hours
from campaigns.services.locks import campaign_lock
from campaigns.services.sending import dispatch
from campaigns.services.sending.batch_states import batches_create_from
from metrics.services import metrics_apply

HELD = CampaignRecipient.HELD_BATCH_NO

_RELEASE_SQL = """
    WITH due AS (
        SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS n FROM campaigns_campaignrecipient
        WHERE campaign_id = %s AND batch_no = %s AND status = 'queued' AND held_until <= %s
    )
    UPDATE campaigns_campaignrecipient SET batch_no = %s + due.n, held_until = NULL
    FROM due WHERE campaigns_campaignrecipient.id = due.id
"""


def _release_campaign(*, campaign_id: int, at: datetime, batch_size: int) -> int:
    """One campaign's due held recipients numbered into new batches after its last one; counters moved;
    the batches dispatched after commit. The shop, then the campaign, are locked first (campaigns.services.locks)."""
    with transaction.atomic():
        campaign_lock(campaign_id=campaign_id)
        if not Campaign.objects.filter(id=campaign_id, status=Campaign.Status.SENDING).exists():
            return 0
        last = Batch.objects.filter(campaign_id=campaign_id).order_by("-number").values_list("number", flat=True)
        base = (last.first() or 0) + 1
        with connection.cursor() as cursor:
            cursor.execute(_RELEASE_SQL, [batch_size, campaign_id, HELD, at, base])
            released = cursor.rowcount
        if released < 0:  # SQLite does not count the rows of an UPDATE inside WITH
            released = CampaignRecipient.objects.filter(campaign_id=campaign_id, batch_no__gte=base).count()
        if released:
            batches_create_from(campaign_id=campaign_id, first=base, now=timezone.now())
            metrics_apply(campaign_id=campaign_id, deltas={"held": -released})
            dispatch.batches_dispatch_on_commit(campaign_id=campaign_id)
    return released


def held_recipients_release() -> dict:
    """Beat: held recipients of sending campaigns whose window has opened go into new batches, which are
    dispatched. Returns {campaign id: released}."""
    at = quiet_hours.now()
    campaigns = (
        CampaignRecipient.objects.filter(batch_no=HELD, status="queued", held_until__lte=at,
                                         campaign__status=Campaign.Status.SENDING)
        .values_list("campaign_id", flat=True).distinct()
    )
    released = {cid: _release_campaign(campaign_id=cid, at=at, batch_size=settings.SMS_BATCH_SIZE)
                for cid in list(campaigns)}
    return {cid: n for cid, n in released.items() if n}
