"""`manage.py shopify_simulator --port 8026 [--api-secret S] [--webhook-url URL] [--shop D --customers N] ...`:
run the Shopify simulator until ^C."""

import argparse
import dataclasses
import threading

from django.core.management.base import BaseCommand, CommandError

from shopify.simulator import ShopifySimulator, SimulatorConfig

DEFAULT_PORT = 8026


class Command(BaseCommand):
    help = "Run the Shopify simulator (SHOPIFY.md) in the foreground; every simulator option is a flag."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        for option in dataclasses.fields(SimulatorConfig):
            flag = "--" + option.name.replace("_", "-")
            default = DEFAULT_PORT if option.name == "port" else option.default
            help_text = f"{option.metadata['help']} (default: {default})"
            if option.type is bool:
                parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
            else:
                parser.add_argument(flag, default=None, help=help_text)
        parser.add_argument("--shop", action="append", default=[], help="create this shop at start (repeatable)")
        parser.add_argument("--customers", type=int, default=0, help="generated customers of each --shop")

    def handle(self, *args, **options) -> None:
        opts = {option.name: options[option.name] for option in dataclasses.fields(SimulatorConfig)
                if options.get(option.name) is not None}
        opts.setdefault("port", DEFAULT_PORT)
        try:
            simulator = ShopifySimulator(**opts)
            for shop in options["shop"]:
                simulator.create_shop(shop, customers=options["customers"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        simulator.start()
        self.stdout.write(f"Shopify simulator listening on {simulator.base_url} "
                          f"(SHOPIFY_ADMIN_BASE={simulator.admin_base}; Ctrl-C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stdout.write("stopping")
        finally:
            simulator.stop()
