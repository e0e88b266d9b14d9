"""Which reply opt-outs and opt-ins go back to Shopify: the task (shopify_sync/writeback.py, sent by name) is sent
for each contact of the phone that was synced from a shop still installed from Shopify. Here, below reports/,
so the reply handling can send it without calling up into shopify_sync/."""

from datetime import datetime

from django.conf import settings
from django.db import transaction

from campaigns.models import Contact
from campaigns.services.publish import TASK_SHOPIFY_CONSENT_WRITEBACK, task_publish


def shopify_consent_writeback_queue(*, phone: str, shop_ids: list[int], subscribed: bool, at: datetime) -> int:
    """After the caller's commit, send the write-back task for each contact of `phone` in these shops that was
    synced from a shop still installed from Shopify; how many."""
    contact_ids = list(Contact.objects.filter(
        shop_id__in=shop_ids, phone=phone, shopify_customer_id__isnull=False, shop__shopify_install__isnull=False,
        shop__shopify_install__uninstalled_at__isnull=True,
    ).exclude(shop__shopify_install__access_token="").values_list("id", flat=True))
    for contact_id in contact_ids:
        transaction.on_commit(lambda cid=contact_id: task_publish(
            TASK_SHOPIFY_CONSENT_WRITEBACK, args=[cid, subscribed, at.isoformat()],
            queue=settings.CELERY_QUEUE_SHOPIFY))
    return len(contact_ids)
