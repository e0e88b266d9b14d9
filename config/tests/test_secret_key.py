"""The built-in SECRET_KEY: marked `django-insecure-` so `check --deploy` flags it, refused on PostgreSQL."""

import os
import subprocess
import sys

from django.conf import settings


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    env.update(variables)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_built_in_key_is_marked_insecure_and_check_deploy_flags_it(tmp_path):
    result = manage("check", "--deploy", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert "security.W009" in result.stderr + result.stdout


def test_start_up_on_postgresql_with_the_built_in_key_is_refused_naming_secret_key():
    result = manage("check", DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    assert result.returncode != 0
    assert "ImproperlyConfigured: Environment variable SECRET_KEY is not set" in result.stderr


def test_start_up_on_postgresql_with_a_key_of_its_own_works():
    result = manage("check", DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres", SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
