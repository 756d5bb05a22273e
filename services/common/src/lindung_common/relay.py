"""The outbox relay: committed outbox rows to Kafka, in order, one active relay per schema.

It reads committed rows in id order, a batch at a time, sends them with an idempotent
producer, waits for the broker's acknowledgement and only then marks them published. A
crash between send and mark sends a row again; consumers absorb that by event id. A row
the broker refuses for good (too large, unknown topic) is set aside with its reason and
reported, and the rows behind it go on. A passing failure (broker down) retries the
batch with capped backoff, for as long as it lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka import errors as kafka_errors

from . import metrics
from .failures import classify
from .kafka import gave_up

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import asyncpg
    from aiokafka import AIOKafkaProducer

__all__ = ["OutboxRelay"]

log = structlog.get_logger(__name__)

# Refusals that will not change however often the row is sent again.
_PERMANENT = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.InvalidTopicError,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.CorruptRecordException,
    kafka_errors.InvalidMessageError,
)


@dataclass
class _Sent:
    row_id: int
    future: asyncio.Future[Any]


class OutboxRelay:
    """Moves committed outbox rows to Kafka, in order, one active relay per schema."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        schema: str,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        linger_seconds: float = 0.0,
        backoff_cap_seconds: float = 5.0,
        service: str = "",
        renew: Callable[[], Awaitable[AIOKafkaProducer]] | None = None,
    ) -> None:
        """`renew` replaces a producer that gave up for good, and returns the new one."""
        self._service = service or schema
        self._renew = renew
        self._pool = pool
        self._producer = producer
        self._schema = schema
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._linger = linger_seconds
        self._backoff_cap = backoff_cap_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self.published = 0
        self.set_aside = 0
        self.failing_since: float | None = None
        self.last_failure: str | None = None
        # Set while the broker does not take what is sent: the producer cannot deliver.
        self.broker_failure: str | None = None

    def stop(self) -> None:
        """Ask `run` to return once the batch in flight (if any) is marked published."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped or cancelled; failures are retried with capped backoff.

        The relay keeps one connection: it listens there for NOTIFY, holds there the
        schema's relay lock (so one relay per schema is active and the outbox order is
        the Kafka order), and runs each pass there, two statements and no transaction.
        If the connection is lost, so is the lock, and another relay may take over.
        """
        channel = f"{self._schema}_outbox"
        holder: asyncpg.Connection | None = None
        holding = False
        backoff = 0.1
        try:
            while not self._stopping:
                try:
                    if holder is not None and _closed(holder):
                        # The server went away: a new connection once it is back.
                        old, holder, holding = holder, None, False
                        await self._unlisten(old, channel)
                    if holder is None:
                        holder = await self._listen(channel)
                    if not holding:
                        holding = await self._lock(holder)
                    sent = await self._pass(holder) if holding else 0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._failed(exc)
                    await self._renew_if_broken(exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._backoff_cap)
                    continue
                self._passed()
                backoff = 0.1
                if sent < self._batch_size and not self._stopping:
                    await self._wait()
        finally:
            if holder is not None:
                if holding:
                    with contextlib.suppress(Exception):
                        await self._unlock(holder)
                await self._unlisten(holder, channel)

    def _passed(self) -> None:
        if self.failing_since is not None:
            seconds = time.monotonic() - self.failing_since
            log.info("outbox relay sends again", after_seconds=round(seconds, 1))
        self.failing_since = self.last_failure = self.broker_failure = None

    def _failed(self, exc: Exception) -> None:
        """Remember a failed pass; log it only when it starts or its reason changes."""
        failure = classify(exc)
        if self.failing_since is None or failure.reason != self.last_failure:
            log.warning("outbox relay failed; retrying until it passes", reason=failure.reason)
        self.failing_since = self.failing_since or time.monotonic()
        self.last_failure = failure.reason
        if isinstance(exc, kafka_errors.KafkaError):
            self.broker_failure = failure.reason

    async def _renew_if_broken(self, exc: Exception) -> None:
        if self._renew is None or not gave_up(self._producer, exc):
            return
        try:
            self._producer = await self._renew()
        except Exception as error:  # the broker may still be away: the next failure retries
            log.warning("new producer not started yet", reason=classify(error).reason)
            return
        # Rows it may have sent are sent again; consumers absorb them by event id.
        log.warning("outbox relay producer replaced", reason=classify(exc).reason)

    async def relay_once(self) -> int:
        """One pass on a connection of its own; 0 when another relay holds the schema."""
        async with self._pool.acquire() as conn:
            if not await self._lock(conn):
                return 0
            try:
                return await self._pass(conn)
            finally:
                await self._unlock(conn)

    async def _lock(self, conn: asyncpg.Connection) -> bool:
        return bool(
            await conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1))", f"{self._schema}.outbox"
            )
        )

    async def _unlock(self, conn: asyncpg.Connection) -> None:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"{self._schema}.outbox")

    async def _pass(self, conn: asyncpg.Connection) -> int:
        """Send one batch of pending rows; how many were settled (sent or set aside).

        The caller holds the schema's relay lock on `conn`.
        """
        rows = await conn.fetch(
            "SELECT id, event_id, event_type, topic, key, value, headers FROM outbox"
            " WHERE published_at IS NULL AND set_aside_at IS NULL ORDER BY id LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return 0
        unknown = await self._unknown_topics({row["topic"] for row in rows})
        aside: dict[int, str] = {}
        sent: list[_Sent] = []
        for row in rows:
            if row["topic"] in unknown:
                aside[row["id"]] = unknown[row["topic"]]
                continue
            try:
                future = await self._producer.send(
                    row["topic"],
                    value=row["value"],
                    key=row["key"],
                    headers=[(n, v.encode()) for n, v in json.loads(row["headers"])],
                )
            except _PERMANENT as exc:
                aside[row["id"]] = f"the broker refuses it ({type(exc).__name__})"
                continue
            sent.append(_Sent(row["id"], future))
        results = await asyncio.gather(*(s.future for s in sent), return_exceptions=True)
        published: list[int] = []
        for item, result in zip(sent, results, strict=True):
            if isinstance(result, _PERMANENT):
                aside[item.row_id] = f"the broker refuses it ({type(result).__name__})"
            elif isinstance(result, BaseException):
                raise result  # passing: the whole batch again, duplicates are absorbed
            else:
                published.append(item.row_id)
        await conn.execute(
            "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", published
        )
        if aside:
            await self._set_aside(conn, aside, {row["id"]: row for row in rows})
        self.published += len(published)
        metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(published))
        self.set_aside += len(aside)
        return len(rows)

    async def backlog(self) -> tuple[int, float, int]:
        """Rows waiting, seconds the oldest has waited, rows set aside."""
        async with self._pool.acquire(timeout=2) as conn:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE published_at IS NULL AND set_aside_at IS NULL)"
                "   AS waiting,"
                " coalesce(extract(epoch FROM now() - min(created_at)"
                "   FILTER (WHERE published_at IS NULL AND set_aside_at IS NULL)), 0) AS age,"
                " count(*) FILTER (WHERE set_aside_at IS NOT NULL) AS aside"
                " FROM outbox WHERE published_at IS NULL",
                timeout=2,
            )
        return int(row["waiting"]), float(row["age"]), int(row["aside"])

    async def _unknown_topics(self, topics: set[str]) -> dict[str, str]:
        """Topics the cluster does not have, after a successful metadata refresh."""
        cluster = self._producer.client.cluster
        missing = {t for t in topics if cluster.partitions_for_topic(t) is None}
        if not missing:
            return {}
        # Only a fresh, successful answer proves a topic is missing; an unreachable broker
        # proves nothing and is retried as a passing failure.
        if not await self._producer.client.force_metadata_update():
            raise kafka_errors.KafkaConnectionError("no metadata from the broker")
        cluster = self._producer.client.cluster
        return {
            t: "the topic does not exist on the broker"
            for t in missing
            if cluster.partitions_for_topic(t) is None
        }

    async def _set_aside(
        self, conn: asyncpg.Connection, reasons: dict[int, str], rows: dict[int, Any]
    ) -> None:
        await conn.executemany(
            "UPDATE outbox SET set_aside_at = now(), set_aside_reason = $2 WHERE id = $1",
            list(reasons.items()),
        )
        for row_id, reason in reasons.items():
            # A person has to look at it: the event it carries never reached its topic.
            log.error(
                "outbox event set aside; it will not be sent",
                outbox_id=row_id,
                event_id=str(rows[row_id]["event_id"]),
                event_type=rows[row_id]["event_type"],
                topic=rows[row_id]["topic"],
                reason=reason,
            )

    async def _listen(self, channel: str) -> asyncpg.Connection:
        listener: asyncpg.Connection = await self._pool.acquire()
        await listener.add_listener(channel, self._on_notify)
        return listener

    async def _unlisten(self, listener: asyncpg.Connection, channel: str) -> None:
        with contextlib.suppress(Exception):
            await listener.remove_listener(channel, self._on_notify)
        with contextlib.suppress(Exception):
            if _closed(listener):
                listener.terminate()
            await self._pool.release(listener)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
        self._wake.clear()
        if self._linger and not self._stopping:
            # Commits that land within the linger go out in the same pass.
            await asyncio.sleep(self._linger)


def _closed(conn: asyncpg.Connection) -> bool:
    try:
        return bool(conn.is_closed())
    except Exception:  # a proxy already given back to the pool
        return True
