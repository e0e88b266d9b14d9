"""Access and refresh tokens encrypted at rest with Fernet (MultiFernet for key rotation).

`SHOPIFY_TOKEN_KEY` holds comma-separated Fernet keys: the first encrypts, all decrypt. To rotate: put a
new key first, run `reencrypt` over the stored tokens, then drop the old key. Unset, a key derived from
SECRET_KEY is used, so the demo works on the embedded defaults.
"""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TokenDecryptError(Exception):
    """A stored token no configured key can decrypt (a key was dropped too early, or the value is corrupt)."""


def encrypt_token(token: str) -> str:
    """The token encrypted with the first configured key, as ASCII text for a database column."""
    return _fernet(settings.SHOPIFY_TOKEN_KEY, settings.SECRET_KEY).encrypt(token.encode()).decode("ascii")


def decrypt_token(ciphertext: str) -> str:
    """The token back from `encrypt_token`'s text, with whichever configured key encrypted it."""
    try:
        return _fernet(settings.SHOPIFY_TOKEN_KEY, settings.SECRET_KEY).decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        raise TokenDecryptError("the stored token cannot be decrypted with SHOPIFY_TOKEN_KEY") from None


def reencrypt_token(ciphertext: str) -> str:
    """The same token encrypted with the first key (rotation); unchanged tokens come back re-encrypted too."""
    try:
        return _fernet(settings.SHOPIFY_TOKEN_KEY, settings.SECRET_KEY).rotate(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        raise TokenDecryptError("the stored token cannot be decrypted with SHOPIFY_TOKEN_KEY") from None


@functools.lru_cache(maxsize=4)
def _fernet(keys: str, secret_key: str) -> MultiFernet:
    parts = [part.strip() for part in keys.split(",") if part.strip()]
    if not parts:
        parts = [base64.urlsafe_b64encode(hashlib.sha256(b"shopify-token-key:" + secret_key.encode()).digest())]
    try:
        return MultiFernet([Fernet(part) for part in parts])
    except ValueError:
        raise ImproperlyConfigured("SHOPIFY_TOKEN_KEY must be comma-separated Fernet keys") from None
