import factory

from campaigns.models import Campaign, Contact, Shop, ShopSender


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True

    domain = factory.Sequence(lambda n: f"shop{n}.myshopify.com")
    name = factory.Sequence(lambda n: f"Shop {n}")
    sender = "MyShop"
    credits = 100_000

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
