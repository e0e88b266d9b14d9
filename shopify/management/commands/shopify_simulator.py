"""`manage.py shopify_simulator --port 8026 [--api-secret S] [--webhook-url URL] [--shop D --customers N] ...`:
run the Shopify simulator until ^C."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from config.simulators import add_option_arguments, given_options, serve_until_interrupted
from shopify.simulator import ShopifySimulator, SimulatorConfig

DEFAULT_PORT = 8026


class Command(BaseCommand):
    help = "Run the Shopify simulator (SHOPIFY.md) in the foreground; every simulator option is a flag."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_option_arguments(parser, SimulatorConfig, DEFAULT_PORT)
        parser.add_argument("--shop", action="append", default=[], help="create this shop at start (repeatable)")
        parser.add_argument("--customers", type=int, default=0, help="generated customers of each --shop")

    def handle(self, *args, **options) -> None:
        try:
            simulator = ShopifySimulator(**given_options(options, SimulatorConfig, DEFAULT_PORT))
            for shop in options["shop"]:
                simulator.create_shop(shop, customers=options["customers"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        simulator.start()
        self.stdout.write(f"Shopify simulator listening on {simulator.base_url} "
                          f"(SHOPIFY_ADMIN_BASE={simulator.admin_base}; Ctrl-C to stop)")
        serve_until_interrupted(simulator, self.stdout.write)
