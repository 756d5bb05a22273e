"""What a handler gets: one record's share of the batch transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .outbox import outbox_rows

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable
    from datetime import datetime

    import asyncpg
    from lindung_contracts import Envelope, Payload

    from .events import Events
    from .outbox import Row

__all__ = ["Work"]


class Work:
    """One record's unit of work: the connection, the time, and the events it raises.

    Everything a handler does on `conn` and every event it emits commits with the batch,
    or rolls back with the record's savepoint. Callbacks given to `after_commit` run only
    once the batch is committed (to wake a sender, to log what now is true).
    """

    def __init__(self, conn: asyncpg.Connection, events: Events, *, max_event_bytes: int) -> None:
        self.conn = conn
        self.now: datetime = events.now()
        self._events = events
        self._max_event_bytes = max_event_bytes
        self.rows: list[Row] = []
        self.callbacks: list[Callable[[], object]] = []

    def new_id(self) -> uuid.UUID:
        """A fresh id from the service's id factory."""
        return self._events.ids()

    def emit(self, *payloads: Payload) -> list[Envelope[Any]]:
        """Raise events (fresh ids, this work's time); refused here if one is too large."""
        envelopes = [self._events.wrap(p, time=self.now) for p in payloads]
        self.emit_envelopes(*envelopes)
        return envelopes

    def emit_envelopes(self, *envelopes: Envelope[Any]) -> None:
        """Raise events whose ids the handler chose (deterministic ids, for instance)."""
        self.rows += outbox_rows(envelopes, max_event_bytes=self._max_event_bytes)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the batch this record belongs to has committed."""
        self.callbacks.append(callback)
