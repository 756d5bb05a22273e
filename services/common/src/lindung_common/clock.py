"""Time and ids are ports: passed in, never read inside the rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "IdFactory", "SystemClock", "new_id"]


class Clock(Protocol):
    """Tells the time."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        return datetime.now(UTC)


class IdFactory(Protocol):
    """Makes new unique ids."""

    def __call__(self) -> uuid.UUID:
        """A new id."""
        ...


def new_id() -> uuid.UUID:
    """A new random id (UUID 4)."""
    return uuid.uuid4()
