"""`manage.py mitto_simulator --port 8025 [--api-key K] [--dlr-url URL] ...`: run the Mitto simulator until ^C."""

import argparse
import dataclasses
import threading

from django.core.management.base import BaseCommand, CommandError

from messaging.simulator import MittoSimulator, SimulatorConfig

DEFAULT_PORT = 8025


class Command(BaseCommand):
    help = "Run the Mitto simulator (MITTO.md) in the foreground; every simulator option is a flag."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        for option in dataclasses.fields(SimulatorConfig):
            flag = "--" + option.name.replace("_", "-")
            default = DEFAULT_PORT if option.name == "port" else option.default
            help_text = f"{option.metadata['help']} (default: {default})"
            if option.type is bool:
                parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
            else:
                parser.add_argument(flag, default=None, help=help_text)

    def handle(self, *args, **options) -> None:
        opts = {option.name: options[option.name] for option in dataclasses.fields(SimulatorConfig)
                if options.get(option.name) is not None}
        opts.setdefault("port", DEFAULT_PORT)
        try:
            simulator = MittoSimulator(**opts)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        simulator.start()
        self.stdout.write(f"Mitto simulator listening on {simulator.base_url} (Ctrl-C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stdout.write("stopping")
        finally:
            simulator.stop()
