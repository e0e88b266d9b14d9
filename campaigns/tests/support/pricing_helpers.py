"""Helpers of the exact-credits tests: contacts with real names, the texts Mitto received, what was debited."""

from campaigns.models import Batch, CampaignRecipient, Contact, CreditTransaction
from campaigns.services.sending.batch_send import batch_send
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.tests.support.send_helpers import bulk_bodies, funded_shop, sending_campaign

BODY = "Hi {{ first_name }} {{ last_name }}, our spring sale starts today: 20% off everything."
NAMES = [  # (first, last): what real customers are called, and what each costs rendered in BODY
    ("Ann", "Lee"),  # short GSM-7: 1
    ("Αλέξανδρος", "Παπαδόπουλος"),  # accented Greek: UCS-2, over 70 units: 2
    ("Αλέξανδρος-Κωνσταντίνος", "Παπαδόπουλος-Χατζηγεωργίου του Ιωάννη και της Μαρίας"),  # 3
    ("Zoë 😀🎉", "Smith"),  # emoji: UCS-2 with surrogate pairs
    ("王小明", None),  # Chinese, no last name
    ("Maximilian-Alexander", "Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausen-Bergerdorff"),  # long GSM-7: 2
    ("Jo{~}", "€uro"),  # extension characters: two septets each
]


def shop_with(names, credits=10_000, **shop_fields):
    shop = funded_shop(credits, **shop_fields)
    Contact.objects.bulk_create(
        Contact(shop=shop, phone=f"+30691{n:07d}", first_name=first or "", last_name=last or "", sms_consent=True)
        for n, (first, last) in enumerate(names)
    )
    return shop


def enqueued(names, credits=10_000, **shop_fields):
    shop = shop_with(names, credits, **shop_fields)
    campaign = sending_campaign(shop, body=BODY)
    campaign_enqueue(shop=shop, campaign_id=campaign.id)
    return shop, campaign


def sent_texts() -> list[str]:
    return [message["sms"]["text"] for body in bulk_bodies() for message in body["messages"]]


def segments_of(campaign) -> list[int]:
    rows = CampaignRecipient.objects.filter(campaign=campaign).order_by("phone")
    return list(rows.values_list("segments", flat=True))


def send_all(campaign) -> None:
    for batch_id in Batch.objects.filter(campaign=campaign).order_by("number").values_list("id", flat=True):
        batch_send(batch_id=batch_id)


def debited(shop) -> int:
    return -sum(t.held_delta for t in CreditTransaction.objects.filter(shop=shop, kind="debit"))
