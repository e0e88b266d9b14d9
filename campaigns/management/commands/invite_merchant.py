"""`invite_merchant DOMAIN EMAIL`: a staff user of the shop, with the permissions a merchant needs."""

import secrets

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campaigns.models import Shop, ShopMembership

MERCHANT_PERMISSIONS = {
    "contact": ("view", "add", "change"),
    "campaign": ("view", "add", "change"),
    "campaignrecipient": ("view",),
    "credittransaction": ("view",),
    "shop": ("view",),
    "shopifyinstall": ("view",),
    "shopifydataexport": ("view",),
}


def merchant_permissions() -> list[Permission]:
    codenames = [f"{action}_{model}" for model, actions in MERCHANT_PERMISSIONS.items() for action in actions]
    return list(Permission.objects.filter(content_type__app_label="campaigns", codename__in=codenames))


class Command(BaseCommand):
    help = "Create a staff user of the shop DOMAIN; its random password is printed once."

    def add_arguments(self, parser):
        parser.add_argument("domain")
        parser.add_argument("email")

    def handle(self, *args, domain, email, **options):
        shop = Shop.objects.filter(domain=domain).first()
        if shop is None:
            raise CommandError(f"No shop {domain!r}.")
        if User.objects.filter(username=email).exists():
            raise CommandError(f"A user {email!r} already exists.")
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_user(username=email, email=email, password=password, is_staff=True)
            user.user_permissions.set(merchant_permissions())
            ShopMembership.objects.create(user=user, shop=shop)
        self.stdout.write(f"Merchant {email} of {domain} created. Password (shown once): {password}")
