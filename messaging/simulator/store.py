"""What the simulator saw: every accepted message and every API request, thread-safe.

Accepted messages are kept in columns, one chunk per request, so a million messages cost a few hundred
bytes each and recording a 5000-message request is a handful of list appends. A message id encodes its
sequence number (see ids.py), so a lookup by id needs no index.
"""

import bisect
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass

from messaging.simulator.ids import IdHeads, decode_seq, encode_seq, message_ids

SENT, DELIVERED = 0, 1
FAILURES = (  # status code 2 + index: (description, errorCode)
    ("Absent subscriber", 27),
    ("Unknown subscriber", 1),
    ("Rejected by the operator", 34),
)
STATUS_NAMES = ("Sent", "Delivered") + ("Failed",) * len(FAILURES)


@dataclass(frozen=True, slots=True)
class AcceptedMessage:
    destination: str
    text: str
    sender: str
    traffic_account_id: str
    reference: str | None
    message_id: str
    accepted_at: float


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One API request; `status` is None when the simulator closed the connection without answering."""

    at: float
    method: str
    path: str
    status: int | None
    traffic_account_ids: tuple[str, ...]
    senders: tuple[str, ...]
    items: int


class Chunk:
    """The messages accepted by one request, in request order; `start` is the first one's sequence number."""

    __slots__ = ("start", "head", "at", "destinations", "texts", "senders", "accounts", "references",
                 "statuses", "updated")

    def __init__(self, head, at, destinations, texts, senders, accounts, references):
        self.start = 0
        self.head = head
        self.at = at
        self.destinations = destinations
        self.texts = texts
        self.senders = senders
        self.accounts = accounts
        self.references = references
        self.statuses = bytearray(len(destinations))
        self.updated = array("d", bytes(8 * len(destinations)))

    def __len__(self) -> int:
        return len(self.destinations)

    def message_id(self, offset: int) -> str:
        return self.head + encode_seq(self.start + offset)


class MessageStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._heads = IdHeads()
        self._next_seq = 0
        self.interned: dict[str, str] = {}  # one shared object for values repeated on every message
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._chunks: list[Chunk] = []
            self._starts: list[int] = []
            self._requests: list[RequestRecord] = []
            self._accepted = 0

    def add(self, destinations, texts, senders, accounts, references) -> tuple[Chunk, list[str]]:
        """Record accepted messages (parallel lists); their chunk and their new message ids, in order."""
        chunk = Chunk(self._heads.head(), time.time(), destinations, texts, senders, accounts, references)
        with self._lock:
            chunk.start = self._next_seq
            self._next_seq += len(chunk)
            self._accepted += len(chunk)
            self._chunks.append(chunk)
            self._starts.append(chunk.start)
        return chunk, message_ids(chunk.head, chunk.start, len(chunk))

    def record_request(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def accepted_count(self) -> int:
        return self._accepted

    def chunks(self) -> list[Chunk]:
        with self._lock:
            return list(self._chunks)

    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def accepted(self, offset: int = 0, limit: int | None = None) -> list[AcceptedMessage]:
        """Accepted messages in acceptance order, from `offset`, at most `limit` of them."""
        messages: list[AcceptedMessage] = []
        for chunk in self.chunks():
            if offset >= len(chunk):
                offset -= len(chunk)
                continue
            stop = len(chunk) if limit is None else min(len(chunk), offset + limit - len(messages))
            messages.extend(
                AcceptedMessage(chunk.destinations[i], chunk.texts[i], chunk.senders[i], chunk.accounts[i],
                                chunk.references[i], chunk.message_id(i), chunk.at)
                for i in range(offset, stop)
            )
            offset = 0
            if limit is not None and len(messages) >= limit:
                break
        return messages

    def destination_counts(self) -> Counter:
        counts: Counter = Counter()
        for chunk in self.chunks():
            counts.update(chunk.destinations)
        return counts

    def find(self, message_id: str) -> tuple[Chunk, int] | None:
        """The chunk and offset of a message id, or None when unknown."""
        seq = decode_seq(message_id)
        if seq is None:
            return None
        with self._lock:
            position = bisect.bisect_right(self._starts, seq) - 1
            chunk = self._chunks[position] if position >= 0 else None
        if chunk is None or seq >= chunk.start + len(chunk) or chunk.message_id(seq - chunk.start) != message_id:
            return None
        return chunk, seq - chunk.start

    def lookup(self, message_id: str) -> dict | None:
        """The status-lookup answer for a message id (MITTO.md), or None when unknown."""
        found = self.find(message_id)
        if found is None:
            return None
        chunk, offset = found
        code = chunk.statuses[offset]
        answer = {
            "messageId": message_id,
            "deliveryStatus": STATUS_NAMES[code],
            "reference": chunk.references[offset],
            "createdAt": iso7(chunk.at),
            "updatedAt": iso7(chunk.updated[offset] or chunk.at),
            "trafficAccountId": chunk.accounts[offset],
            "destination": chunk.destinations[offset],
            "sender": chunk.senders[offset],
        }
        if code >= 2:
            answer["description"], answer["errorCode"] = FAILURES[code - 2]
        return answer


def iso7(at: float) -> str:
    """UTC ISO 8601 with 7 fractional digits and a Z, as Mitto writes its timestamps."""
    ticks = round(at * 10_000_000)
    seconds, fraction = divmod(ticks, 10_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:07d}Z"
