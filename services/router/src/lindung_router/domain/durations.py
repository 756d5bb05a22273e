"""Durations as policy files write them: `30s`, `15m`, `1h`, `7d`, `1h30m`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Final

from pydantic import BeforeValidator

__all__ = ["Duration", "format_duration", "parse_duration"]

_PART: Final = re.compile(r"(\d+)([smhd])")
_WHOLE: Final = re.compile(r"^(?:\d+[smhd])+$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> timedelta:
    """`"15m"` -> 15 minutes; anything else than such a string is refused with an example."""
    if isinstance(value, timedelta):
        return value
    # Bare numbers are refused: "is 24 hours or seconds?" must never be a guess.
    if not isinstance(value, str) or not _WHOLE.match(value.strip()):
        msg = f"not a duration: {value!r}; write e.g. '30s', '15m', '1h', '7d' or '1h30m'"
        raise ValueError(msg)
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(value.strip()))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest policy spelling of a whole-second duration, for messages and logs."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
