"""observe_many: the same samples as observing each value (it reaches into prometheus_client's internals)."""

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from config.observability.metrics import observe_many
from config.tests.scrape import samples

BUCKETS = (1, 5, 60, 3600)
VALUES = [0.0, 0.5, 1.0, 1.0000001, 5.0, 59.9, 60.0, 61.0, 3600.0, 7200.0]


def _values(registry) -> dict:
    """Every sample but the creation times."""
    return {key: value for key, value in samples(generate_latest(registry).decode()).items()
            if not key[0].endswith("_created")}


def _histogram():
    registry = CollectorRegistry()
    return registry, Histogram("lag_seconds", "lag", ["deployment"], registry=registry, buckets=BUCKETS)


def test_observing_many_equals_observing_each():
    each_registry, each = _histogram()
    many_registry, many = _histogram()

    for value in VALUES:
        each.labels("d").observe(value)
    observe_many(many.labels("d"), VALUES)

    assert _values(many_registry) == _values(each_registry)
    assert _values(many_registry)[("lag_seconds_bucket", frozenset({"deployment": "d", "le": "60.0"}.items()))] == 7


def test_observing_nothing_changes_nothing():
    registry, histogram = _histogram()
    child = histogram.labels("d")
    before = _values(registry)

    observe_many(child, [])

    assert _values(registry) == before
