"""Reading `GET /metrics` in tests: every sample as {(name, labels): value}, and the change between two."""

from prometheus_client.parser import text_string_to_metric_families

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:
    """`GET /metrics` through a Django test client, from this machine."""
    response = client.get("/metrics", **{**LOCAL, **headers})
    assert response.status_code == 200, response.content
    return samples(response.content.decode())


def delta(before: dict, after: dict, name: str, **labels) -> float:
    """How much the sample `name` with exactly these labels grew between the two scrapes."""
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)
