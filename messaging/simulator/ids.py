"""ULID-like message ids (26 Crockford base32 characters) that encode their sequence number.

An id is 10 characters of milliseconds, 8 random characters fixed per generator, and 8 characters of a
sequence number that is unique per generator, so ids are unique, roughly time-ordered, cheap to make in
bulk, and the simulator finds a message from its id without an index.
"""

import secrets
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = tuple(first + second for first in ALPHABET for second in ALPHABET)
_PAIR_VALUES = {pair: value for value, pair in enumerate(_PAIRS)}
ID_LENGTH = 26
HEAD_LENGTH = 18


def encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def encode_seq(seq: int) -> str:
    pairs = _PAIRS
    return pairs[(seq >> 30) & 1023] + pairs[(seq >> 20) & 1023] + pairs[(seq >> 10) & 1023] + pairs[seq & 1023]


def message_ids(head: str, start: int, count: int) -> list[str]:
    """The ids of sequence numbers start .. start+count-1: a shared prefix per 1024, then one lookup each."""
    ids: list[str] = []
    seq, end = start, start + count
    while seq < end:
        block_end = min(end, (seq | 1023) + 1)
        prefix = head + encode_seq(seq)[:6]
        ids.extend([prefix + pair for pair in _PAIRS[seq & 1023 : ((block_end - 1) & 1023) + 1]])
        seq = block_end
    return ids


def decode_seq(message_id: str) -> int | None:
    """The sequence number in `message_id`, or None when it is not one of ours."""
    if len(message_id) != ID_LENGTH:
        return None
    seq = 0
    for start in range(HEAD_LENGTH, ID_LENGTH, 2):
        value = _PAIR_VALUES.get(message_id[start : start + 2])
        if value is None:
            return None
        seq = (seq << 10) | value
    return seq


class IdHeads:
    """The first 18 characters of ids: milliseconds now, then this generator's random part."""

    def __init__(self) -> None:
        self._random = encode(secrets.randbits(40), 8)

    def head(self) -> str:
        return encode(time.time_ns() // 1_000_000, 10) + self._random
