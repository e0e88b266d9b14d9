from django.core.management.base import BaseCommand

from campaigns.management.errors import command_errors
from campaigns.services.shops import shop_credits_add


class Command(BaseCommand):
    help = "Top up a shop's credits (a `topup` in the credit ledger)."

    def add_arguments(self, parser):
        parser.add_argument("domain", help="the shop's domain, e.g. example.myshopify.com")
        parser.add_argument("credits", type=int, help="credits to add (a whole number above 0)")
        parser.add_argument("--note", default="", help="why (kept in the ledger row, at most 200 characters)")

    def handle(self, *args, domain, credits, note, **options):
        with command_errors():
            shop = shop_credits_add(domain=domain, amount=credits, note=note)
        self.stdout.write(f"Added {credits} credits to {shop.domain}: {shop.credits} free, {shop.credits_held} held.")
