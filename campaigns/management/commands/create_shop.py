from django.core.management.base import BaseCommand
from django.db import transaction

from campaigns.api.auth import api_key_create
from campaigns.management.errors import command_errors
from campaigns.services.shops import shop_create


class Command(BaseCommand):
    help = "Create a shop (tenant) and print its first API key alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("domain", help="the shop's domain, e.g. example.myshopify.com")
        parser.add_argument("--credits", type=int, default=0, help="opening credits (a top-up in the ledger)")
        parser.add_argument("--sender", default="", help="default sender id of the shop's messages")
        parser.add_argument("--name", default="", help="display name (defaults to the domain)")

    def handle(self, *args, domain, credits, sender, name, **options):
        with command_errors(), transaction.atomic():
            shop = shop_create(domain=domain, credits=credits, sender=sender, name=name)
            key = api_key_create(shop=shop)
        self.stdout.write(f"Created shop {shop.domain} (id {shop.pk}) with {shop.credits} credits. API key:")
        self.stdout.write(key)
