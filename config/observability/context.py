"""The ids a log line carries, kept in contextvars so any code below a request or a task can add to them.

`log_context(campaign_id=…, batch_id=…)` binds ids for a block; the logging filter
(`logs.ContextFilter`) copies the bound ones onto every record. Only ids: never a phone or a name.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

FIELDS = ("request_id", "task_id", "task", "shop_id", "campaign_id", "batch_id")
_VARS: dict[str, ContextVar] = {name: ContextVar(f"log_{name}", default=None) for name in FIELDS}


def bind(**ids) -> dict[str, Token]:
    """Bind ids (names from FIELDS) until `unbind` of the tokens returned; None values are skipped."""
    unknown = set(ids) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown log context field(s): {sorted(unknown)}")
    return {name: _VARS[name].set(value) for name, value in ids.items() if value is not None}


def unbind(tokens: dict[str, Token]) -> None:
    """Put back what the ids were before the `bind` that returned `tokens`."""
    for name, token in tokens.items():
        _VARS[name].reset(token)


@contextmanager
def log_context(**ids) -> Iterator[None]:
    """Log lines inside the block carry these ids (as well as those bound outside it)."""
    tokens = bind(**ids)
    try:
        yield
    finally:
        unbind(tokens)


def current() -> dict:
    """The ids bound now, without the unset ones."""
    values = {name: var.get() for name, var in _VARS.items()}
    return {name: value for name, value in values.items() if value is not None}


def clear() -> None:
    """Forget every id (the end of a request: nothing leaks into the next one on this thread)."""
    restore({})


def restore(ids: dict) -> None:
    """Make the bound ids exactly `ids` (a `current()` taken earlier): whatever was bound since is forgotten."""
    for name, var in _VARS.items():
        var.set(ids.get(name))
