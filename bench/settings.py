"""Bench-only settings: the project's own, plus the bare baseline views (bench/urls.py). Never used in production."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
