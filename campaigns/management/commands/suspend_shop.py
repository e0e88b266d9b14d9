from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Shop
from campaigns.services.sending.suspension import shop_reinstate, shop_suspend


class Command(BaseCommand):
    help = (
        "Suspend a shop: it sends nothing more (its sending campaigns pause at the next batch, reason "
        "shop_inactive; enqueue, resume and test sends are refused). --lift reinstates it; its paused "
        "campaigns wait for the merchant to resume them."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain", help="the shop's domain")
        parser.add_argument("--lift", action="store_true", help="reinstate a suspended shop")

    def handle(self, *args, domain, lift, **options):
        shop = Shop.objects.filter(domain=domain.strip().lower()).first()
        if shop is None:
            raise CommandError(f"No shop with domain {domain!r}.")
        if lift:
            result = shop_reinstate(shop=shop)
            state = "reinstated" if result.changed else "was not suspended; nothing changed"
            self.stdout.write(f"Shop {shop.domain} {state}.")
            return
        result = shop_suspend(shop=shop)
        state = "suspended" if result.changed else "was suspended already"
        self.stdout.write(f"Shop {shop.domain} {state}; {result.campaigns_paused} sending campaign(s) paused.")
