"""The Mitto simulator: a real HTTP server behaving as MITTO.md describes, for tests, the demo and benchmarks."""

from messaging.simulator.config import SimulatorConfig
from messaging.simulator.server import MittoSimulator
from messaging.simulator.store import AcceptedMessage, RequestRecord

__all__ = ["AcceptedMessage", "MittoSimulator", "RequestRecord", "SimulatorConfig"]
