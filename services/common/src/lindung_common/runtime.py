"""What a running service owns (pool, producer, outbox relay) and how it handles a record.

`Runtime.process` is the one consume path for every service, whether the record came from
a Faust agent or a plain aiokafka consumer: decode with the contracts codec, dead-letter
what cannot be decoded, hand the typed event to its handler, retry what fails for a
passing reason, dead-letter what keeps failing. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from lindung_contracts import DecodeError, Envelope, Payload, decode

from .clock import Clock, IdFactory, SystemClock, new_id
from .db import apply_migrations, create_pool
from .kafka import create_producer, dead_letter
from .outbox import OutboxRelay, add_to_outbox

if TYPE_CHECKING:
    from pathlib import Path

    from aiokafka import AIOKafkaProducer

    from .settings import ServiceSettings

__all__ = ["Handler", "Record", "Runtime"]

Handler = Callable[[Envelope[Any]], Awaitable[None]]
log = structlog.get_logger(__name__)

# Failures that say nothing about the record itself: retry without limit.
_TRANSIENT = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.CannotConnectNowError,
)
_ATTEMPTS_BEFORE_DEAD_LETTER = 3


@dataclass(frozen=True)
class Record:
    """One Kafka record as it arrived, whatever client read it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


class Runtime:
    """A service's connections and the machinery shared by every handler."""

    def __init__(
        self,
        *,
        service: str,
        schema: str,
        settings: ServiceSettings,
        migrations: Path,
        clock: Clock | None = None,
        ids: IdFactory = new_id,
    ) -> None:
        self.service = service
        self.schema = schema
        self.settings = settings
        self.source = f"/lindung/{service}"
        self.clock: Clock = clock or SystemClock()
        self.ids = ids
        self._migrations = migrations
        self._ready = asyncio.Event()
        self._pool: asyncpg.Pool | None = None
        self._producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self._relay_task: asyncio.Task[None] | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool; only valid after `start`."""
        if self._pool is None:
            raise RuntimeError("runtime not started")
        return self._pool

    async def start(self) -> None:
        """Connect, migrate, start the producer and the outbox relay."""
        dsn = self.settings.database_url.get_secret_value()
        self._pool = await create_pool(dsn, self.schema)
        await apply_migrations(self._pool, self.schema, self._migrations)
        self._producer = create_producer(
            self.settings.kafka_bootstrap_servers, f"lindung-{self.service}-outbox"
        )
        await self._producer.start()
        self.relay = OutboxRelay(
            self._pool,
            self._producer,
            self.schema,
            batch_size=self.settings.outbox_batch_size,
            poll_seconds=self.settings.outbox_poll_seconds,
        )
        self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        self._ready.set()
        log.info("runtime started", schema=self.schema)

    async def stop(self) -> None:
        """Stop the relay, the producer and the pool, in that order."""
        if self._relay_task is not None and self.relay is not None:
            # Let a batch in flight finish, so a clean stop does not send it twice.
            self.relay.stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._relay_task), timeout=10)
            except TimeoutError:
                self._relay_task.cancel()
            await asyncio.gather(self._relay_task, return_exceptions=True)
        if self._producer is not None:
            await self._producer.stop()
        if self._pool is not None:
            await self._pool.close()
        log.info("runtime stopped")

    async def ready(self) -> None:
        """Wait until `start` has finished."""
        await self._ready.wait()

    def envelope(self, payload: Payload) -> Envelope[Any]:
        """Wrap a payload with a fresh id, the clock's time and this service as source."""
        return Envelope.wrap(
            payload, event_id=self.ids(), time=self.clock.now(), source=self.source
        )

    async def process(
        self, consumer: str, record: Record, handlers: Mapping[type[Payload], Handler]
    ) -> None:
        """Decode one record and hand it to its handler; see the module docstring."""
        await self.ready()
        try:
            envelope = decode(record.value, record.headers)
        except DecodeError as exc:
            await self.dead_letter(consumer, record, f"undecodable: {exc}")
            return
        handler = handlers.get(type(envelope.data))
        if handler is None:
            return  # a valid event of a type this consumer does not act on
        bound = log.bind(
            event_id=str(envelope.id), event_type=envelope.type, subject=envelope.subject
        )
        failures = 0
        delay = 0.1
        while True:
            try:
                await handler(envelope)
            except asyncio.CancelledError:
                raise
            except _TRANSIENT:
                bound.warning("handler failed for a passing reason; retrying", exc_info=True)
            except Exception as exc:
                failures += 1
                bound.exception("handler failed", attempt=failures)
                if failures >= _ATTEMPTS_BEFORE_DEAD_LETTER:
                    await self.dead_letter(consumer, record, f"{type(exc).__name__}: {exc}")
                    return
            else:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def dead_letter(self, consumer: str, record: Record, reason: str) -> None:
        """Set a record aside through the outbox, with the reason and its original bytes.

        The event id follows from the record's position, so a record read again after a
        crash is set aside once.
        """
        position = f"{consumer}:{record.topic}/{record.partition}/{record.offset}"
        event = dead_letter(
            consumer=consumer,
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"urn:lindung:dead-letter:{position}"),
            now=self.clock.now(),
            source=self.source,
        )
        async with self.pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, event)
        log.warning(
            "record dead-lettered",
            consumer=consumer,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason[:300],
        )
