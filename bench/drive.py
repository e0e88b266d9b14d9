"""Driving campaigns through the public API (in process, as the storefront app would) and watching them."""

import time
from dataclasses import dataclass

from bench.fixtures import BODY, BODY_WITH_LINK, ShopHandle

TERMINAL = ("completed", "cancelled", "failed")


class ShopApi:
    """The REST API of API.md, called in this process through Django's test client as one shop. Campaigns are
    created with BODY, or BODY_WITH_LINK when `ShopApi.links` is set (`python -m bench --links`)."""

    links = False

    def __init__(self, shop: ShopHandle):
        from django.test import Client

        self.shop = shop
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {shop.key}")

    def _post(self, path: str, data: dict | None = None, expect: int = 200) -> dict:
        for _ in range(60):
            response = self.client.post(path, data or {}, content_type="application/json")
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("Retry-After") or 1))
        if response.status_code != expect:
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.content[:500]!r}")
        return response.json()

    def campaign_create(self, name: str) -> int:
        body = BODY_WITH_LINK if self.links else BODY
        return self._post("/api/v1/campaigns/", {"name": name, "body": body}, expect=201)["id"]

    def enqueue(self, campaign_id: int) -> dict:
        return self._post(f"/api/v1/campaigns/{campaign_id}/enqueue", expect=202)

    def cancel(self, campaign_id: int) -> dict:
        return self._post(f"/api/v1/campaigns/{campaign_id}/cancel")


@dataclass
class Progress:
    status: str
    total: int
    queued: int
    sent: int
    failed: int
    cancelled: int

    @property
    def processed(self) -> int:
        return self.sent + self.failed + self.cancelled


def progress(campaign_id: int) -> Progress:
    """The campaign's status and counters, read straight from the database (the CampaignMetrics row)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.status, coalesce(m.total, 0), coalesce(m.queued, 0), coalesce(m.sent, 0),
                      coalesce(m.failed, 0), coalesce(m.cancelled, 0)
               FROM campaigns_campaign c LEFT JOIN metrics_campaignmetrics m ON m.campaign_id = c.id
               WHERE c.id = %s""",
            [campaign_id],
        )
        return Progress(*cursor.fetchone())


def wait_terminal(campaign_id: int, *, timeout_s: float, check=None, poll_s: float = 0.1,
                  stall_s: float = 90.0) -> Progress:
    """Poll until the campaign is completed/cancelled/failed; `check()` runs each poll (e.g. a process is alive).
    Gives up after `timeout_s`, or when its counters have not moved for `stall_s` (something is stuck)."""
    started = last_move = time.monotonic()
    last = None
    while True:
        state = progress(campaign_id)
        if state.status in TERMINAL:
            return state
        now = time.monotonic()
        if state != last:
            last, last_move = state, now
        if now - started > timeout_s or now - last_move > stall_s:
            raise TimeoutError(f"campaign {campaign_id} still {state} after {now - started:.0f} s "
                               f"({now - last_move:.0f} s without progress)")
        if check:
            check()
        time.sleep(poll_s)
