from django.core.management.base import BaseCommand, CommandError

from campaigns.services.shopify_sync.webhooks import shopify_webhooks_replay


class Command(BaseCommand):
    help = ("Send the stored Shopify webhooks not processed yet (failed, or of a topic handled since) to the "
            "processing task again, oldest first.")

    def add_arguments(self, parser):
        parser.add_argument("--topic", action="append", default=[], help="only this topic (repeatable)")
        parser.add_argument("--limit", type=int, default=10_000, help="at most this many (default 10000)")

    def handle(self, *args, topic, limit, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        self.stdout.write(f"{shopify_webhooks_replay(topics=topic, limit=limit)} webhook(s) sent for processing")
