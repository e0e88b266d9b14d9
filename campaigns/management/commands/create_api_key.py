from django.core.management.base import BaseCommand, CommandError

from campaigns.api.auth import api_key_create
from campaigns.models import Shop


class Command(BaseCommand):
    help = "Create a further API key for a shop and print it alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("domain", help="the shop's domain")
        parser.add_argument("--name", default="", help="a label telling this key apart")

    def handle(self, *args, domain, name, **options):
        shop = Shop.objects.filter(domain=domain.strip().lower()).first()
        if shop is None:
            raise CommandError(f"No shop with domain {domain!r}; create it with create_shop.")
        self.stdout.write(f"New API key for {shop.domain}:")
        self.stdout.write(api_key_create(shop=shop, name=name))
