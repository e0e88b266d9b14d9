"""`manage.py mitto_simulator --port 8025 [--api-key K] [--dlr-url URL] ...`: run the Mitto simulator until ^C."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from config.simulators import add_option_arguments, given_options, serve_until_interrupted
from messaging.simulator import MittoSimulator, SimulatorConfig

DEFAULT_PORT = 8025


class Command(BaseCommand):
    help = "Run the Mitto simulator (MITTO.md) in the foreground; every simulator option is a flag."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_option_arguments(parser, SimulatorConfig, DEFAULT_PORT)

    def handle(self, *args, **options) -> None:
        try:
            simulator = MittoSimulator(**given_options(options, SimulatorConfig, DEFAULT_PORT))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        simulator.start()
        self.stdout.write(f"Mitto simulator listening on {simulator.base_url} (Ctrl-C to stop)")
        serve_until_interrupted(simulator, self.stdout.write)
