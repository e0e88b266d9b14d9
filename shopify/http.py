"""The one pooled `requests.Session` of this process for every call to Shopify (OAuth and Admin API).

Per-shop credentials travel as per-request headers, never as session state, so one session serves every shop.
"""

import functools
import os

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

POOL_SIZE = 16


def session() -> requests.Session:
    """The process's session (a new one after a fork, so a worker never shares sockets with its parent)."""
    return _session_for(os.getpid())


@functools.lru_cache(maxsize=1)
def _session_for(pid: int) -> requests.Session:
    http = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    http.headers.update({"Accept": "application/json", "User-Agent": "ShopSMS"})
    return http


def admin_url(shop: str, path: str) -> str:
    """`{SHOPIFY_ADMIN_BASE with the shop}/admin/{path}`: where every call for a shop goes (SHOPIFY.md)."""
    return settings.SHOPIFY_ADMIN_BASE.replace("{shop}", shop).rstrip("/") + "/admin/" + path.lstrip("/")
