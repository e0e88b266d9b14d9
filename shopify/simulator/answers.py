"""An answer of the simulator, whole or streamed."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    stream: Iterator[bytes] | None = None  # sent chunked, instead of `body`
    content_type: str = "application/json; charset=utf-8"


def json_answer(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode(),
                  headers)
