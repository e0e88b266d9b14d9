"""Structured logs: one JSON object per line (or plain text for dev), with the context ids, phones masked.

Masking is done where no call site can get around it: `PhoneMaskFilter` (on our handlers) rewrites a
record's message with its arguments merged in, and on first use installs the same rewrite as the
process's log record factory, so every record created from then on — by any logger, for any handler
(Celery's, gunicorn's, pytest's caplog) — carries the masked text only. The formatters mask what else
they write (exception tracebacks, `extra` fields), all but our own fields (time, level, logger, ids).

What is masked: a `+` followed by 7 or more digits (spaces, dots, dashes, brackets between them allowed),
and any bare run of 8 or more digits (not a decimal fraction, not joined to an id by a dash); each keeps
its last 2 digits (`+30691234567` → `+*********67`).
Ids past 10,000,000 are masked too: the price of never leaking a number written without its `+`.

Raw provider payloads are never logged whole: `payload_summary` gives their size, their keys and a short
masked excerpt.
"""

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

from config.observability import context

# A bare run after a dot is a decimal fraction (a duration), one joined by a dash is part of an id (a
# UUID's group, `req-…`): neither is a number someone can be called on.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d(?:[ ().-]{0,2}\d){6,}|(?<![.-])\d{8,}(?!-))(?!\w)")
_MASKED = "_pii_masked"
EXCERPT_CHARS = 200
# A phone with separators spans at most ~45 characters: masking this much past a cut sees every number
# the cut could split, so no unmasked piece of one survives the cut.
_CUT_MARGIN = 64


def _mask_match(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    plus = "+" if match.group(0).startswith("+") else ""
    return plus + "*" * (len(digits) - 2) + digits[-2:]


def mask_phones(text: str) -> str:
    """`text` with every phone-like digit run reduced to its last 2 digits."""
    return _PHONE.sub(_mask_match, text)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first `limit` characters of `text`, phones masked (before the cut, so none is split unmasked)."""
    masked = mask_phones(text[: limit + _CUT_MARGIN])
    return masked[:limit] + ("…" if len(masked) > limit or len(text) > limit + _CUT_MARGIN else "")


def payload_summary(payload: Any, limit: int = EXCERPT_CHARS, *, clean: Callable[[str], str] | None = None) -> str:
    """What a log line may say of a provider payload: its type, size, keys, and a short masked excerpt.

    `clean` rewrites the whole text before the cut (to redact a secret no cut may split)."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)
    text = clean(text) if clean else text
    if isinstance(payload, dict):
        shape = f"object with keys {sorted(map(str, payload))[:20]}"
    elif isinstance(payload, list):
        shape = f"array of {len(payload)}"
    else:
        shape = type(payload).__name__
    return f"{shape}, {len(text)} chars: {excerpt(text, limit)}"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Merge the arguments into the message and mask it; a record is rewritten once."""
    if getattr(record, _MASKED, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is reported by the handler, as logging always does
        return record
    record.msg, record.args = mask_phones(message), ()
    setattr(record, _MASKED, True)
    return record


def install_record_masking() -> None:
    """Make every log record of this process masked from its creation (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MASKED, False):
        return

    def masked_factory(*args, **kwargs):
        return mask_record(factory(*args, **kwargs))

    setattr(masked_factory, _MASKED, True)
    logging.setLogRecordFactory(masked_factory)


class PhoneMaskFilter(logging.Filter):
    """Masks phone numbers in each record's message; installs the same masking for every record."""

    def __init__(self, name: str = ""):
        super().__init__(name)
        install_record_masking()

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class ContextFilter(logging.Filter):
    """Copies the bound context ids (request, task, shop, campaign, batch) onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context.current().items():
            setattr(record, name, value)
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per line: time, level, logger, message, deployment, the context ids, any extras."""

    def __init__(self, *, deployment: str = "", **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("static_fields", {"deployment": deployment} if deployment else {})
        kwargs.setdefault("json_ensure_ascii", False)
        # Django's request logs pass the request object: its repr carries the query string (a webhook's
        # ?token=), so it is left out; the status code and the message say what happened.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", _MASKED])
        super().__init__(**kwargs)

    def process_log_record(self, log_data: dict) -> dict:
        return {key: value if key in _OWN_FIELDS else _masked(value) for key, value in log_data.items()}


_OWN_FIELDS = frozenset({"time", "level", "logger", "deployment", *context.FIELDS})


def _masked(value: Any) -> Any:
    """`value` with phones masked in every string inside it (extras, exception text, Celery's `data`)."""
    if isinstance(value, str):
        return mask_phones(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


class TextFormatter(logging.Formatter):
    """`time level logger message [ids]` for people reading a terminal (LOG_FORMAT=text)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        super().__init__(**kwargs)

    def format(self, record: logging.LogRecord) -> str:
        text = mask_phones(super().format(record))
        ids = " ".join(f"{name}={getattr(record, name)}" for name in context.FIELDS if hasattr(record, name))
        return f"{text} [{ids}]" if ids else text


LOG_FORMATS = ("json", "text")


def formatter_config(log_format: str, deployment: str) -> dict:
    """The dictConfig entry of our formatter for LOG_FORMAT `log_format`."""
    if log_format == "json":
        return {"()": "config.observability.logs.JsonFormatter", "deployment": deployment}
    return {"()": "config.observability.logs.TextFormatter"}


def logging_config(*, log_format: str, level: str, deployment: str) -> dict:
    """The LOGGING dict of every process: one stderr handler with our formatter and filters on the root.

    Gunicorn's own loggers propagate to it (its config file passes this dict as `logconfig_dict`).
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {LOG_FORMATS}, got {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "config.observability.logs.ContextFilter"},
            "pii": {"()": "config.observability.logs.PhoneMaskFilter"},
        },
        "formatters": {"main": formatter_config(log_format, deployment)},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["context", "pii"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }


def adopt_handlers(logger: logging.Logger, *, log_format: str, deployment: str) -> None:
    """Give `logger`'s handlers (set up by someone else: Celery) our formatter and filters."""
    formatter = JsonFormatter(deployment=deployment) if log_format == "json" else TextFormatter()
    for handler in logger.handlers:
        handler.setFormatter(formatter)
        for filter_class in (ContextFilter, PhoneMaskFilter):
            if not any(isinstance(existing, filter_class) for existing in handler.filters):
                handler.addFilter(filter_class())
