"""The one unit of work: how every entrypoint changes state.

A consumer's batch, an HTTP request, a timer tick, the notifier's dispatcher and a
command all change state the same way: `async with units.open() as work:` gives one
connection and one transaction; the use case loads, decides (a pure function of its
`domain/`), saves on `work.conn` and raises events with `work.emit`. When the block ends
the events go into the outbox in one statement (each refused there if it is larger than
the outbox takes), the transaction commits, and only then do the callbacks given to
`work.after_commit` run. An exception rolls everything back and runs no callback.

This module is the only place that opens a transaction (`transaction`); the rest of
Lindung asks it for one.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from .outbox import insert_rows, outbox_rows
from .settings import DEFAULT_MAX_EVENT_BYTES

if TYPE_CHECKING:
    import uuid
    from collections.abc import AsyncIterator, Callable
    from datetime import datetime

    import asyncpg
    from lindung_contracts import Envelope, Payload

    from .db import Database
    from .events import Events
    from .outbox import Row

__all__ = ["Units", "Work", "reset_connection", "transaction"]


@contextlib.asynccontextmanager
async def transaction(
    conn: asyncpg.Connection, *, readonly: bool = False
) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on `conn` (a savepoint when one is open already)."""
    async with conn.transaction(readonly=readonly):
        yield conn


async def reset_connection(conn: asyncpg.Connection) -> None:
    """What a released connection needs before its next use: no open transaction.

    asyncpg's default reset is one more round trip on every release (unlock all advisory
    locks, close cursors, unlisten, reset settings). Lindung opens no cursors and changes
    no session settings; the outbox relay, the one user of a session-level lock and of
    LISTEN, unlocks and unlistens before it gives its connection back (and a connection
    that broke is terminated, which releases both): the round trip buys nothing.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class Work:
    """One unit of work: the connection, the time, the events it raises, its callbacks.

    Everything done on `conn` and every event emitted commits together or not at all.
    Callbacks given to `after_commit` run only once the work has committed (to wake a
    sender, to log what now is true).
    """

    def __init__(
        self,
        conn: asyncpg.Connection,
        events: Events,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
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
        """Raise events whose ids or times the caller chose (deterministic ids, say)."""
        self.rows += outbox_rows(envelopes, max_event_bytes=self._max_event_bytes)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run `callback` once this work has committed."""
        self.callbacks.append(callback)

    def part(self) -> Work:
        """A share of this work on the same connection (one record of a consumer's batch).

        Its events and callbacks join this work's with `take`, once the share succeeded;
        a share that failed is dropped with its savepoint.
        """
        return Work(self.conn, self._events, max_event_bytes=self._max_event_bytes)

    def take(self, part: Work) -> None:
        """Keep a share's events and callbacks (it succeeded)."""
        self.rows += part.rows
        self.callbacks += part.callbacks

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A savepoint: what fails inside rolls back alone, the rest of the work stays."""
        async with transaction(self.conn):
            yield

    async def flush(self) -> None:
        """Write the events raised so far to the outbox (done for you at commit)."""
        rows, self.rows = self.rows, []
        await insert_rows(self.conn, rows)


class Units:
    """Opens units of work for one service: its pool, its events, its outbox limit."""

    def __init__(
        self, db: Database, events: Events, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ) -> None:
        self.db = db
        self.events = events
        self.max_event_bytes = max_event_bytes

    @contextlib.asynccontextmanager
    async def open(
        self, *, readonly: bool = False, pool_wait: float | None = None
    ) -> AsyncIterator[Work]:
        """One connection, one transaction; events to the outbox at commit; then callbacks.

        `pool_wait` bounds the wait for a connection from the pool (seconds); `readonly` is
        for views that must read one snapshot (a report, a streamed export) and change
        nothing.
        """
        async with (
            self.db.pool.acquire(timeout=pool_wait) as conn,
            transaction(conn, readonly=readonly),
        ):
            work = Work(conn, self.events, max_event_bytes=self.max_event_bytes)
            yield work
            await work.flush()
        for callback in work.callbacks:
            callback()

    @contextlib.asynccontextmanager
    async def connection(self, *, pool_wait: float | None = None) -> AsyncIterator[Work]:
        """One connection and no transaction, for a single read that needs no snapshot.

        Emitting from it is refused: an event must commit with the change it follows.
        """
        async with self.db.pool.acquire(timeout=pool_wait) as conn:
            work = Work(conn, self.events, max_event_bytes=self.max_event_bytes)
            yield work
            if work.rows:
                msg = "events raised outside a transaction; use Units.open"
                raise RuntimeError(msg)
