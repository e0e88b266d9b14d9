"""Settings for the test suite: the real local PostgreSQL and Redis unless the environment names others.

Each run gets its own Redis key prefix (and, from settings.py, its own database), so two runs on one
machine never see each other's queues, limiter windows or cache entries.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.setdefault("SECRET_KEY", "test-suite-key-not-secret-" + "x" * 40)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SMS_KEY_PREFIX", f"test{os.getpid()}")
os.environ.setdefault("MITTO_WEBHOOK_SECRET", "test-webhook-secret")
os.environ.setdefault("MITTO_API_KEY", "test-mitto-key")
os.environ.setdefault("MITTO_TRAFFIC_ACCOUNT_ID", "e8a5e53f-2f0c-4d4b-9a53-3b0d6c1a2f10")
os.environ.setdefault("MITTO_API_BASE", "http://mitto.test")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("STATUS_CACHE_SECONDS", "0")
os.environ.setdefault("QUIET_HOURS_ENFORCED", "false")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
