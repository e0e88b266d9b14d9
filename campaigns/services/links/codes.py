"""Short-link codes: what `/l/{code}` carries, derived from (recipient id, link position) at send time, nothing
written per message.

A code is 12 characters of URL-safe base64 (all GSM-7, so it never changes a message's encoding) of 9 bytes:
a 40-bit block — kind (1 bit: a campaign recipient, or a test send of the campaign), link position (4 bits),
id (35 bits) — put through a keyed permutation (so neighbouring ids give unrelated-looking codes), then a
32-bit keyed hash (BLAKE2b, keyed by LINK_SECRET or a key derived from SECRET_KEY) of that enciphered
block. A code whose hash does not match (forged, altered, or of another key) reads as None: the redirect's 404.
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from campaigns.sms import LINK_CODE_LENGTH, MAX_LINKS

MAX_ID = (1 << 35) - 1
RECIPIENT, TEST_SEND = 0, 1
_BITS, _HALF = 40, 20
_MASK = (1 << _BITS) - 1


@dataclass(frozen=True, slots=True)
class LinkRef:
    """What a valid code names: link `position` of recipient `ident` (kind RECIPIENT) or of a test send of
    campaign `ident` (kind TEST_SEND)."""

    kind: int
    position: int
    ident: int


@dataclass(frozen=True, slots=True)
class _Keys:
    """Everything derived from the secret: the permutation's constants (odd multipliers and their inverses
    modulo 2**40, added keys) and the keyed hasher of the codes."""

    add: tuple[int, int]
    multiply: tuple[int, int]
    inverse: tuple[int, int]
    mac: object


@lru_cache(maxsize=4)
def _keys(secret: str) -> _Keys:
    key = hashlib.sha256(b"shopsms short links\0" + secret.encode()).digest()
    words = [int.from_bytes(hashlib.blake2b(key, digest_size=8, person=b"permutation-%d" % i).digest(), "big")
             for i in range(4)]
    add = (words[0] & _MASK, words[1] & _MASK)
    multiply = ((words[2] & _MASK) | 1, (words[3] & _MASK) | 1)
    inverse = tuple(pow(m, -1, 1 << _BITS) for m in multiply)
    return _Keys(add, multiply, inverse, hashlib.blake2b(key=key, digest_size=4, person=b"short-link-hash"))


def _secret() -> str:
    return settings.LINK_SECRET or settings.SECRET_KEY


def _encipher(block: int, keys: _Keys) -> int:
    """A keyed bijection of 40-bit blocks (add, multiply by an odd number, fold the high half into the low,
    twice, written out: the send path runs it for every link): consecutive blocks come out unrelated-looking.
    Forgery is stopped by the keyed hash, not by this."""
    (add0, add1), (multiply0, multiply1) = keys.add, keys.multiply
    block = ((block + add0) * multiply0) & _MASK
    block ^= block >> _HALF
    block = ((block + add1) * multiply1) & _MASK
    return block ^ (block >> _HALF)


def _decipher(block: int, keys: _Keys) -> int:
    for add, inverse in zip(reversed(keys.add), reversed(keys.inverse), strict=True):
        block ^= block >> _HALF
        block = (block * inverse - add) & _MASK
    return block


def _tag(mac, enciphered: bytes) -> bytes:
    h = mac.copy()
    h.update(enciphered)
    return h.digest()


def coder() -> _Keys:
    """The current keys, read once per batch (the send path codes thousands of links with them)."""
    return _keys(_secret())


def code_make(*, kind: int, position: int, ident: int, keys: _Keys | None = None) -> str:
    """The code of link `position` for `ident` (a recipient id, or a campaign id for a test send)."""
    if not 0 <= position < MAX_LINKS or not 0 <= ident <= MAX_ID or kind not in (RECIPIENT, TEST_SEND):
        raise ValueError(f"no short-link code for kind {kind}, position {position}, id {ident}")
    keys = keys or coder()
    enciphered = _encipher((kind << 39) | (position << 35) | ident, keys).to_bytes(5, "big")
    return base64.urlsafe_b64encode(enciphered + _tag(keys.mac, enciphered)).decode("ascii")


def recipient_codes(*, recipient_id: int, count: int, keys: _Keys | None = None) -> list[str]:
    """The codes of a recipient's `count` links, in position order: what the send path puts in its message."""
    if count == 1 and keys is not None and 0 <= recipient_id <= MAX_ID:  # the common message: one link
        enciphered = _encipher(recipient_id, keys).to_bytes(5, "big")
        return [base64.urlsafe_b64encode(enciphered + _tag(keys.mac, enciphered)).decode("ascii")]
    keys = keys or coder()
    return [code_make(kind=RECIPIENT, position=position, ident=recipient_id, keys=keys) for position in range(count)]


def one_off_codes(*, campaign_id: int, count: int) -> list[str]:
    """The codes of a test send's links: they redirect like a recipient's, and no click is counted."""
    keys = coder()
    return [code_make(kind=TEST_SEND, position=position, ident=campaign_id, keys=keys) for position in range(count)]


def code_read(code: str) -> LinkRef | None:
    """What `code` names, or None when it is not one we issued (wrong length or characters, altered, forged)."""
    if len(code) != LINK_CODE_LENGTH:
        return None
    try:
        raw = base64.b64decode(code.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).decode("ascii") != code:
        return None
    keys = coder()
    enciphered, tag = raw[:5], raw[5:]
    if not hmac.compare_digest(_tag(keys.mac, enciphered), tag):
        return None
    block = _decipher(int.from_bytes(enciphered, "big"), keys)
    return LinkRef(kind=block >> 39, position=(block >> 35) & 0xF, ident=block & MAX_ID)
