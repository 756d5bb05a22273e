"""The one consume path: how every record of every consumer becomes an effect or a dead letter.

A batch of records from one partition is handled in ONE database transaction, each
record inside its own savepoint, in offset order:

1. decode with the contracts codec (a record that cannot be decoded is dead-lettered);
2. skip an event already handled by this consumer (`processed_events`, same
   transaction), and an event type this consumer does not act on;
3. call the handler with a `Work` (the connection, the time, the events it emits);
4. on failure, ask `failures.classify`: a TRANSIENT failure rolls the whole batch back
   and retries it with capped backoff for as long as it lasts, holding the partition; a
   DETERMINISTIC one rolls the record's savepoint back and dead-letters it at once; an
   UNKNOWN one is tried again a bounded number of times, then dead-lettered.

Dead letters are written in the same transaction, so a failure while dead-lettering is
retried with the batch, never skipped. The caller acknowledges the records (lets their
offsets be committed) only after `handle` returns, i.e. after the commit.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import FieldError, agency_of_topic, decode

from . import metrics
from .consumers import ConsumerState, Outcome
from .deadletters import DeadLetter, agency_of, dead_letter_id, store_dead_letter
from .failures import Failure, FailureClass, classify
from .inbox import first_deliveries, first_delivery
from .work import Units

if TYPE_CHECKING:
    from collections.abc import Sequence

    import asyncpg
    from lindung_contracts import Envelope

    from .consumers import Consumer
    from .db import Database
    from .events import Events
    from .records import Record
    from .settings import ServiceSettings
    from .work import Work

__all__ = ["ConsumePath"]

log = structlog.get_logger(__name__)


class _Careful(Exception):
    """A record failed on the fast way: the batch is handled again, carefully."""

    def __init__(self, event_ids: set[Any]) -> None:
        super().__init__("handled again with a savepoint per record")
        self.event_ids = event_ids


@dataclass
class _Batch:
    """What one batch transaction collects until it commits."""

    replaying: bool
    careful: bool = False
    fresh: set[Any] | None = None
    tried: set[Any] = field(default_factory=set)
    letters: list[DeadLetter] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


class ConsumePath:
    """Handles batches of records for one consumer; see the module docstring."""

    def __init__(
        self, consumer: Consumer, db: Database, events: Events, settings: ServiceSettings
    ) -> None:
        self.consumer = consumer
        self.state = ConsumerState(consumer.name)
        self._units = Units(db, events, max_event_bytes=settings.outbox_max_event_bytes)
        self._events = events
        self._settings = settings
        self._service = events.service

    async def handle(self, records: Sequence[Record], *, replaying: bool = False) -> list[Outcome]:
        """Handle records (any partitions), each partition's in order, one transaction each."""
        # Faust interleaves partitions; each partition's records keep their order.
        by_partition: dict[tuple[str, int], list[Record]] = {}
        for record in records:
            by_partition.setdefault((record.topic, record.partition), []).append(record)
        outcome_of: dict[tuple[str, int, int], Outcome] = {}
        for group in by_partition.values():
            for record, outcome in zip(
                group, await self._partition(group, replaying=replaying), strict=True
            ):
                outcome_of[(record.topic, record.partition, record.offset)] = outcome
        return [outcome_of[(r.topic, r.partition, r.offset)] for r in records]

    async def _partition(self, records: list[Record], *, replaying: bool) -> list[Outcome]:
        decoded = [self._decode(record) for record in records]
        delay = 0.1
        while True:
            try:
                outcomes = await self._transaction(records, decoded, replaying=replaying)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Whatever escapes the per-record handling (the database gone, the commit
                # failed, dead-lettering failed) is retried: the partition is held.
                failure = classify(exc)
                self._retrying(failure, records[0])
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.retry_backoff_cap_seconds)
                continue
            self.state.retrying_since = self.state.retry_reason = None
            self.state.last_batch_at = time.monotonic()
            self.state.handled += len(records)
            return outcomes

    async def _transaction(
        self,
        records: list[Record],
        decoded: list[Envelope[Any] | Failure],
        *,
        replaying: bool,
    ) -> list[Outcome]:
        if not any(self._acts_on(item) for item in decoded):
            # Only events of types this consumer does not act on (the notifications topic
            # read for its failures, say): nothing to record, so no transaction at all.
            batch = _Batch(replaying=replaying, outcomes=[Outcome.IGNORED] * len(records))
            self._count(records, batch)
            return batch.outcomes
        # The fast way first: no savepoints, the delivery record of the whole batch in one
        # statement. Any record that fails sends the whole batch the careful way, where
        # each record has its savepoint: one bad record never undoes the others.
        tried: set[Any] = set()
        if not replaying:
            try:
                return await self._attempt(records, decoded, _Batch(replaying=False))
            except _Careful as failed:
                # A handler that failed in a run of several may have failed for another
                # record: only a run of one counts as a try of that record.
                if len(failed.event_ids) == 1:
                    tried |= failed.event_ids
        careful = _Batch(replaying=replaying, careful=True, tried=tried)
        return await self._attempt(records, decoded, careful)

    async def _attempt(
        self, records: list[Record], decoded: list[Envelope[Any] | Failure], batch: _Batch
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        async with self._units.open() as work:
            if not batch.careful:
                batch.fresh = await self._first_deliveries(work.conn, decoded)
            run: list[Envelope[Any]] = []
            for record, item in zip(records, decoded, strict=True):
                if isinstance(item, Failure):
                    outcome = await self._set_aside(work, record, item, batch)
                elif batch.careful:
                    outcome = await self._carefully(work, record, item, batch)
                else:
                    outcome = self._admit(item, batch)
                    if outcome is Outcome.PROCESSED:
                        if run and type(run[0].data) is not type(item.data):
                            await self._quickly(work, run)
                            run = []
                        run.append(item)
                outcomes.append(outcome)
            if run:
                await self._quickly(work, run)
        batch.outcomes = outcomes
        self._count(records, batch)
        return outcomes

    async def _first_deliveries(
        self, conn: asyncpg.Connection, decoded: list[Envelope[Any] | Failure]
    ) -> set[Any] | None:
        """Record every handled event of the batch at once; the ids seen for the first time."""
        if not self.consumer.dedupe:
            return None
        ids = [
            item.id
            for item in decoded
            if not isinstance(item, Failure) and self.consumer.handles(type(item.data))
        ]
        return await first_deliveries(conn, self.consumer.name, ids)

    def _acts_on(self, item: Envelope[Any] | Failure) -> bool:
        """Whether a decoded record needs the database: handled, or to be dead-lettered."""
        return isinstance(item, Failure) or self.consumer.handles(type(item.data))

    def _admit(self, envelope: Envelope[Any], batch: _Batch) -> Outcome:
        """On the fast way: whether a decoded record is handled, a duplicate, or ignored."""
        if not self.consumer.handles(type(envelope.data)):
            return Outcome.IGNORED  # a valid event of a type this consumer does not act on
        if batch.fresh is not None:
            if envelope.id not in batch.fresh:
                return Outcome.DUPLICATE
            batch.fresh.discard(envelope.id)  # the same event twice in one batch: once
        return Outcome.PROCESSED

    async def _quickly(self, batch_work: Work, run: list[Envelope[Any]]) -> None:
        """Handle a run of one type without a savepoint; any failure means the careful way."""
        kind = type(run[0].data)
        work = batch_work.part()
        started = time.perf_counter()
        try:
            run_handler = self.consumer.run_handlers.get(kind)
            if run_handler is not None:
                await run_handler(work, run)
            else:
                handler = self.consumer.handlers[kind]
                for envelope in run:
                    await handler(work, envelope)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if classify(exc).transient:
                raise
            raise _Careful({e.id for e in run}) from None
        finally:
            each = (time.perf_counter() - started) / len(run)
            histogram = metrics.HANDLER_SECONDS.labels(self._service, self.consumer.name)
            for _ in run:
                histogram.observe(each)
        batch_work.take(work)

    async def _carefully(
        self, batch_work: Work, record: Record, envelope: Envelope[Any], batch: _Batch
    ) -> Outcome:
        handler = self.consumer.handler(type(envelope.data))
        if handler is None:
            return Outcome.IGNORED
        tries = 1 if envelope.id in batch.tried else 0  # its failure on the fast way counts
        while True:
            tries += 1
            work = batch_work.part()
            started = time.perf_counter()
            try:
                # A savepoint: one bad record does not undo the rest of the batch.
                async with work.savepoint():
                    if self.consumer.dedupe and not await first_delivery(
                        work.conn, self.consumer.name, envelope.id
                    ):
                        return Outcome.DUPLICATE
                    await handler(work, envelope)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failure = classify(exc)
                if failure.transient:
                    raise
                if failure.kind is FailureClass.UNKNOWN:
                    self._log(record, envelope).warning(
                        "handler failed for an unknown reason",
                        reason=failure.reason,
                        attempt=tries,
                        where=_where(exc),
                    )
                    if tries < self._settings.consume_unknown_failure_tries:
                        metrics.RETRIES.labels(self._service, "handler", failure.kind.value).inc()
                        await asyncio.sleep(0.05 * tries)
                        continue
                return await self._set_aside(batch_work, record, failure, batch)
            finally:
                metrics.HANDLER_SECONDS.labels(self._service, self.consumer.name).observe(
                    time.perf_counter() - started
                )
            batch_work.take(work)
            return Outcome.PROCESSED

    async def _set_aside(
        self, work: Work, record: Record, failure: Failure, batch: _Batch
    ) -> Outcome:
        at = self._events.now()
        times = await store_dead_letter(
            work.conn, self.consumer.name, record, failure, at=at, replaying=batch.replaying
        )
        if times is None:
            return Outcome.DEAD_LETTERED  # read again after a crash: already announced
        letter = DeadLetter(
            consumer=self.consumer.name,
            record=record,
            failure=failure,
            at=at,
            event_id=dead_letter_id(self.consumer.name, record, times),
            agency_id=agency_of(record),
        )
        work.emit_envelopes(self.consumer.announce(letter, self._events))
        batch.letters.append(letter)
        return Outcome.DEAD_LETTERED

    def _decode(self, record: Record) -> Envelope[Any] | Failure:
        try:
            received_at = self._events.now() if self.consumer.outside else None
            envelope = decode(
                record.value, record.headers, expect=self.consumer.expect, received_at=received_at
            )
        except Exception as exc:  # DecodeError, and whatever the codec did not foresee
            failure = classify(exc)
            if failure.kind is FailureClass.DETERMINISTIC:
                return failure
            return Failure(FailureClass.DETERMINISTIC, f"not decodable ({type(exc).__name__})")
        if self.consumer.agency_door:
            return _sent_by_its_agency(record, envelope)
        return envelope

    def _retrying(self, failure: Failure, record: Record) -> None:
        if self.state.retrying_since is None:
            self.state.retrying_since = time.monotonic()
        self.state.retry_reason = f"{failure.reason} at {record.position}"
        metrics.RETRIES.labels(self._service, "consumer", failure.kind.value).inc()
        log.warning(
            "batch failed; retrying it",
            consumer=self.consumer.name,
            failure_class=failure.kind.value,
            reason=failure.reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )

    def _count(self, records: list[Record], batch: _Batch) -> None:
        name, service = self.consumer.name, self._service
        metrics.BATCH_SIZE.labels(service, name).observe(len(records))
        for record, outcome in zip(records, batch.outcomes, strict=True):
            if outcome is not Outcome.DEAD_LETTERED:
                metrics.PROCESSED.labels(service, name, record.topic, outcome.value).inc()
        for letter in batch.letters:
            metrics.DEAD_LETTERED.labels(
                service, name, letter.record.topic, letter.failure.kind.value
            ).inc()
            log.warning(
                "record dead-lettered",
                consumer=name,
                topic=letter.record.topic,
                partition=letter.record.partition,
                offset=letter.record.offset,
                failure_class=letter.failure.kind.value,
                reason=letter.failure.reason[:300],
                agency_id=letter.agency_id,
                dead_letter_id=str(letter.event_id),
            )

    def _log(self, record: Record, envelope: Envelope[Any]) -> Any:
        return log.bind(
            consumer=self.consumer.name,
            event_id=str(envelope.id),
            event_type=envelope.type,
            subject=envelope.subject,
            position=record.position,
        )


def _sent_by_its_agency(record: Record, envelope: Envelope[Any]) -> Envelope[Any] | Failure:
    """The record itself, or a refusal when it names another agency than its topic's.

    The broker lets only an agency's own principal write its topic, so the topic says who
    sent the record; the `agency_id` written inside proves nothing.
    """
    owner = agency_of_topic(record.topic)
    named = getattr(envelope.data, "agency_id", None)
    if owner is not None and named == owner:
        return envelope
    # Neither value is repeated: the named one came from outside.
    reason = (
        "names another agency than the topic it was written to; an agency may report "
        "only on its own topic"
        if owner is not None
        else "this topic belongs to no agency"
    )
    errors = (FieldError(field="data.agency_id", reason=reason),)
    return Failure(FailureClass.DETERMINISTIC, f"refused: data.agency_id: {reason}", errors)


def _where(exc: BaseException) -> str:
    """Where an exception was raised (file:line), without its message, which may hold input."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return type(exc).__name__
    return f"{type(exc).__name__} at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
