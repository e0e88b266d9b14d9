"""Tokens encrypted at rest: round trip, nothing readable in the ciphertext, key rotation, bad keys."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shopify.tokens import TokenDecryptError, decrypt_token, encrypt_token, reencrypt_token

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
ROOT = Path(__file__).resolve().parents[2]


def test_round_trip_and_nothing_readable(settings):
    settings.SHOPIFY_TOKEN_KEY = OLD
    stored = encrypt_token(TOKEN)
    assert TOKEN not in stored and "shpat" not in stored and stored.isascii()
    assert decrypt_token(stored) == TOKEN
    assert encrypt_token(TOKEN) != stored  # a fresh IV each time


def test_rotation_new_key_first_decrypts_old_tokens_and_reencrypts_with_the_new(settings):
    settings.SHOPIFY_TOKEN_KEY = OLD
    stored = encrypt_token(TOKEN)
    settings.SHOPIFY_TOKEN_KEY = f"{NEW},{OLD}"
    assert decrypt_token(stored) == TOKEN
    rotated = reencrypt_token(stored)
    settings.SHOPIFY_TOKEN_KEY = NEW
    assert decrypt_token(rotated) == TOKEN
    with pytest.raises(TokenDecryptError):
        decrypt_token(stored)


def test_a_corrupt_value_is_a_typed_error_without_the_value(settings):
    settings.SHOPIFY_TOKEN_KEY = OLD
    stored = encrypt_token(TOKEN)
    for corrupt in (stored[:-2] + "AA", "not-a-token", "é"):
        with pytest.raises(TokenDecryptError) as error:
            decrypt_token(corrupt)
        assert corrupt not in str(error.value)


def test_without_a_key_one_is_derived_from_secret_key(settings):
    settings.SHOPIFY_TOKEN_KEY = ""
    stored = encrypt_token(TOKEN)
    assert decrypt_token(stored) == TOKEN
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    with pytest.raises(TokenDecryptError):
        decrypt_token(stored)


@pytest.mark.parametrize(("name", "value"), [("SHOPIFY_TOKEN_KEY", f"{OLD},not-a-key"),
                                             ("SHOPIFY_API_VERSION", "latest"),
                                             ("SHOPIFY_ADMIN_BASE", "https://admin.example")])
def test_a_bad_setting_stops_start_up_naming_the_variable(name, value):
    result = subprocess.run([sys.executable, "-c", "import config.settings"], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, name: value}, timeout=60)
    assert result.returncode != 0 and name in result.stderr.splitlines()[-1]
