"""Retention: published outbox rows, handled-event records and replayed dead letters pruned.

What is pruned was kept only so that something could still use it: a published outbox
row (the event is on Kafka), a consumer's record of an event it handled (a redelivery is
skipped), a dead letter after its replay (a person may look it up). What a replay or an
audit may still need is never touched: rows waiting to be sent or set aside, dead letters
waiting for a replay, and a consumer's records from around the time a dead letter of its
own was set aside, since a replay skips an event that consumer handled from another copy.

Deletes go in batches of `*_RETENTION_BATCH_SIZE` rows, each its own short statement, so
a prune holds no lock for long; `Pruner.prune` stops when nothing is left or its time
budget is spent (the next prune goes on).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from . import metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .db import Database
    from .settings import ServiceSettings

__all__ = ["Cutoffs", "Keep", "PruneReport", "Pruner", "cutoffs"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Keep:
    """How long each kind of row is kept once it may go."""

    outbox: timedelta
    handled: timedelta
    dead_letters: timedelta

    @classmethod
    def of(cls, settings: ServiceSettings) -> Keep:
        """The periods a service's settings give."""
        return cls(
            outbox=timedelta(days=settings.retention_outbox_days),
            handled=timedelta(days=settings.retention_handled_days),
            dead_letters=timedelta(days=settings.retention_dead_letters_days),
        )


@dataclass(frozen=True)
class Cutoffs:
    """Rows older than these may be deleted; per consumer for handled-event records."""

    outbox: datetime
    handled: datetime
    dead_letters: datetime
    handled_held: Mapping[str, datetime] = field(default_factory=dict)

    def handled_for(self, consumer: str) -> datetime:
        """The cutoff for one consumer's handled-event records."""
        return self.handled_held.get(consumer, self.handled)


def cutoffs(now: datetime, keep: Keep, waiting: Mapping[str, datetime]) -> Cutoffs:
    """What may go at `now`, given the oldest waiting dead letter of each consumer.

    A consumer's records are held back to `keep.handled` before its oldest waiting dead
    letter: the copies of one event arrive within that of each other (that is what the
    period is chosen for), so the replay still finds any copy its consumer handled.
    """
    handled = now - keep.handled
    held = {
        consumer: oldest - keep.handled
        for consumer, oldest in waiting.items()
        if oldest - keep.handled < handled
    }
    return Cutoffs(
        outbox=now - keep.outbox,
        handled=handled,
        dead_letters=now - keep.dead_letters,
        handled_held=held,
    )


@dataclass
class PruneReport:
    """Rows one prune deleted, and whether it stopped with some left (its budget spent)."""

    outbox: int = 0
    handled: int = 0
    dead_letters: int = 0
    more_left: bool = False


# Each statement deletes at most $2 rows; the condition is repeated outside so a row
# changed meanwhile is judged again. Rows are found through the BRIN indexes on when they
# were made (0003_retention.sql), in no particular order: a published row was created
# before it was published, so `created_at < $1` only narrows the search.
_OUTBOX = (
    "DELETE FROM outbox WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM outbox WHERE created_at < $1 AND published_at < $1 LIMIT $2))"
    " AND published_at < $1"
)
_HANDLED = (
    "DELETE FROM processed_events WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM processed_events WHERE consumer = $3 AND processed_at < $1 LIMIT $2))"
    " AND consumer = $3 AND processed_at < $1"
)
_DEAD_LETTERS = (
    "DELETE FROM dead_letters WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM dead_letters WHERE replayed_at < $1 ORDER BY replayed_at LIMIT $2))"
    " AND replayed_at < $1"
)
_WAITING = (
    "SELECT consumer, min(first_at) AS oldest FROM dead_letters"
    " WHERE replayed_at IS NULL GROUP BY consumer"
)
# The consumers that have records, one index probe each (a loose scan of the primary key).
_CONSUMERS = """
WITH RECURSIVE c AS (
    SELECT min(consumer) AS consumer FROM processed_events
    UNION ALL
    SELECT (SELECT min(consumer) FROM processed_events WHERE consumer > c.consumer)
    FROM c WHERE c.consumer IS NOT NULL
)
SELECT consumer FROM c WHERE consumer IS NOT NULL
"""


class Pruner:
    """Deletes, in bounded batches, what the service's retention settings no longer keep."""

    def __init__(
        self,
        db: Database,
        settings: ServiceSettings,
        service: str,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._keep = Keep.of(settings)
        self._batch = settings.retention_batch_size
        # Within one timer tick, with room to spare: the next tick goes on.
        self._budget = settings.timer_timeout_seconds / 2
        self._service = service
        self._monotonic = monotonic

    async def prune(self, now: datetime | None = None) -> PruneReport:
        """One prune, judged at `now` (the database's clock when not given); one log line."""
        started = self._monotonic()
        deadline = started + self._budget
        async with self._db.pool.acquire() as conn:
            if now is None:
                now = await conn.fetchval("SELECT now()")
            waiting = {r["consumer"]: r["oldest"] for r in await conn.fetch(_WAITING)}
            consumers = [r["consumer"] for r in await conn.fetch(_CONSUMERS)]
        cut = cutoffs(now, self._keep, waiting)
        report = PruneReport()
        report.outbox, done = await self._drain(_OUTBOX, deadline, cut.outbox)
        for consumer in consumers:
            if not done:
                break
            deleted, done = await self._drain(
                _HANDLED, deadline, cut.handled_for(consumer), consumer
            )
            report.handled += deleted
        if done:
            report.dead_letters, done = await self._drain(_DEAD_LETTERS, deadline, cut.dead_letters)
        report.more_left = not done
        for table, count in (
            ("outbox", report.outbox),
            ("processed_events", report.handled),
            ("dead_letters", report.dead_letters),
        ):
            metrics.PRUNED.labels(self._service, table).inc(count)
        log.info(
            "retention pruned",
            outbox=report.outbox,
            processed_events=report.handled,
            dead_letters=report.dead_letters,
            held_consumers=len(cut.handled_held),
            more_left=report.more_left,
            seconds=round(self._monotonic() - started, 3),
        )
        return report

    async def _drain(self, sql: str, deadline: float, *args: object) -> tuple[int, bool]:
        """Delete batch after batch; the rows deleted, and False if time ran out first."""
        deleted = 0
        while True:
            async with self._db.pool.acquire() as conn:
                status = await conn.execute(sql, args[0], self._batch, *args[1:])
            count = int(status.rsplit(" ", 1)[-1])
            deleted += count
            if count < self._batch:
                return deleted, True
            if self._monotonic() >= deadline:
                return deleted, False
