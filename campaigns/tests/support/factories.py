"""Model factories of the tests. A shop's credits always come through the ledger (a top-up), so its balance
equals the ledger's sum: the one way a test makes a funded shop (`send_helpers.funded_shop` names it)."""

import factory

from campaigns.models import Campaign, Contact, Shop, ShopSender
from campaigns.services.billing.ledger import credits_topup


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True

    domain = factory.Sequence(lambda n: f"shop{n}.myshopify.com")
    name = factory.Sequence(lambda n: f"Shop {n}")
    sender = "MyShop"
    credits = 100_000

    @classmethod
    def _create(cls, model_class, *args, credits: int = 0, **kwargs):
        """The shop with no credits, then `credits` topped up through the ledger."""
        shop = super()._create(model_class, *args, credits=0, **kwargs)
        if credits:
            credits_topup(shop_id=shop.id, amount=credits, note="test")
            shop.refresh_from_db()
        return shop

    @factory.post_generation
    def register_sender(shop, create, extracted, **kwargs):
        """The shop's sender registered as ops would (shared: many test shops send as "MyShop")."""
        if create and shop.sender:
            ShopSender.objects.get_or_create(shop=shop, sender=shop.sender)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    shop = factory.SubFactory(ShopFactory)
    phone = factory.Sequence(lambda n: f"+30691{n:07d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    sms_consent = True


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    body = "Hi {{ first_name }}, 20% off today"
