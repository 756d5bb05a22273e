"""structlog JSON logs on stdout, with the standard library (Faust, aiokafka) routed in."""

from __future__ import annotations

import logging
import logging.config
import sys
import time
from typing import Any

import structlog

__all__ = ["Repeats", "configure_logging", "logging_dict_config"]

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_dict_config(service: str, level: str, stream: Any = None) -> dict[str, Any]:
    """A `logging.config.dictConfig` that renders every record as one JSON line.

    On stdout unless `stream` says otherwise (a command keeps stdout for what it prints).
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    _add_service(service),
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(),
                ],
                "foreign_pre_chain": _SHARED,
            }
        },
        "filters": {"repeats": {"()": Repeats}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": sys.stdout if stream is None else stream,
                "filters": ["repeats"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        # Chatty at INFO and never about our data; warnings still come through.
        "loggers": {
            name: {"level": "WARNING"}
            for name in ("aiokafka", "faust", "mode", "uvicorn.access", "kafka")
        },
    }


_MOST_KINDS = 1000


class Repeats(logging.Filter):
    """Writes the first of a run of like warnings from a library; repeats are counted.

    With the broker gone, aiokafka logs each failed connection, metadata request, fetch
    and heartbeat: thousands of lines a minute that say one thing. The first of each kind
    (same logger, level and message template) is written; the same again within `window`
    seconds is only counted, and the count is added to the next one written. Lindung's own
    loggers say what changed (the broker stops or starts answering) and are not filtered.
    """

    def __init__(self, window: float = 60.0, clock: Any = time.monotonic) -> None:
        super().__init__()
        self._window = window
        self._clock = clock
        # (logger, level, template) -> (when last written, repeats not written since)
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to write the record (a repeat within the window is not)."""
        if record.name.startswith("lindung") or record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        written, held = self._seen.get(key, (None, 0))
        if written is not None and now - written < self._window:
            self._seen[key] = (written, held + 1)
            return False
        self._seen[key] = (now, 0)
        if len(self._seen) > _MOST_KINDS:  # messages formatted before logging differ each time
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self._window}
        if held:
            record.msg = f"{record.msg} [repeated {held} times since last written]"
        return True


def configure_logging(service: str, level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog and the standard library once, at process start (see above)."""
    logging.config.dictConfig(logging_dict_config(service, level, stream))
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _add_service(service: str) -> Any:
    def processor(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return processor
