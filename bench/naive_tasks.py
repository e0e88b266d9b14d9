"""The peer design the bench measures ours against (bench.naive), never loaded by the product: one Celery task
per recipient, each reading its contact, rendering the text, making one single-message request
(`POST /api/v1.1/Messages/send`, through the project's own pooled Mitto client), then writing the recipient
row and bumping the campaign's counter. This is the design of most Django + Celery tutorials (and of RapidPro's
courier: a message per request). It takes no rate-limit token: its best case. The bench worker imports this
module with `--include bench.naive_tasks`."""

from celery import shared_task
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Contact
from campaigns.sms import compile_template
from messaging.client import OutboundMessage, get_client
from messaging.errors import RateLimited, TransientError
from metrics.models import CampaignMetrics


# As the tutorials write it: the provider's 429s and 5xx retried with exponential backoff.
@shared_task(name="bench.naive_send", ignore_result=True, autoretry_for=(RateLimited, TransientError),
             retry_backoff=True, max_retries=5)
def naive_send(campaign_id: int, contact_id: int) -> str:
    campaign = Campaign.objects.select_related("shop").get(id=campaign_id)
    contact = Contact.objects.get(id=contact_id)
    text = compile_template(campaign.body).render_names(contact.first_name, contact.last_name)
    outcome = get_client().send_one(OutboundMessage(
        destination=contact.phone, text=text, sender=campaign.shop.sender,
        traffic_account_id=settings.MITTO_TRAFFIC_ACCOUNT_ID, reference=f"naive:{contact.id}",
    ))
    status = CampaignRecipient.Status.SENT if outcome.accepted else CampaignRecipient.Status.FAILED
    CampaignRecipient.objects.create(
        campaign_id=campaign_id, contact_id=contact.id, phone=contact.phone, batch_no=0, status=status,
        mitto_message_id=outcome.message_id, error=outcome.error or "", sent_at=timezone.now(),
    )
    CampaignMetrics.objects.filter(campaign_id=campaign_id).update(**{status: F(status) + 1})
    return status
