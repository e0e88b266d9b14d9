"""The Shopify simulator: a real HTTP server behaving as SHOPIFY.md describes, for tests, the demo and benchmarks."""

from shopify.simulator.config import SimulatorConfig
from shopify.simulator.server import ShopifySimulator

__all__ = ["ShopifySimulator", "SimulatorConfig"]
