from django.core.management.base import BaseCommand, CommandError

from campaigns.management.errors import command_errors
from campaigns.models import Shop
from campaigns.services.senders import shop_sender_add, shop_sender_remove, shop_senders


class Command(BaseCommand):
    help = ("Register (add) or unregister (remove) a sender id a shop may send from; verify the shop owns it "
            "first. Replies to a sender reach only the shops that registered it.")

    def add_arguments(self, parser):
        parser.add_argument("domain", help="the shop's domain")
        parser.add_argument("action", choices=["add", "remove"])
        parser.add_argument("sender", help="3-11 letters, digits or spaces (at least one letter), or 3-16 digits")
        parser.add_argument("--shared", action="store_true",
                            help="add a sender another shop has too (both really send from it)")

    def handle(self, *args, domain, action, sender, shared, **options):
        shop = Shop.objects.filter(domain=domain.strip().lower()).first()
        if shop is None:
            raise CommandError(f"No shop with domain {domain!r}.")
        with command_errors():
            if action == "add":
                shop_sender_add(shop=shop, sender=sender, shared=shared)
            else:
                shop_sender_remove(shop=shop, sender=sender)
        shop.refresh_from_db()
        self.stdout.write(f"{shop.domain} senders: {', '.join(shop_senders(shop)) or 'none'} "
                          f"(default: {shop.sender or 'the fallback sender'})")
