"""The Shopify simulator serving a system test: a real HTTP server whose OAuth, Admin API and webhooks point at the
test's live server, with the app's settings (SHOPIFY_*) set to talk to it."""

from collections.abc import Iterator
from contextlib import contextmanager

from shopify.simulator.server import ShopifySimulator


@contextmanager
def shopify_simulator_for(settings, live_server, *, secret: str, seed: int) -> Iterator[ShopifySimulator]:
    with ShopifySimulator(api_key="client-id", api_secret=secret, seed=seed, webhook_retry_ms=5) as simulator:
        for name, value in simulator.app_settings(app_url=live_server.url).items():
            setattr(settings, name, value)
        yield simulator
