"""The transactional outbox: events are written with the state change, relayed after commit.

`add_to_outbox` is called inside the handler's transaction. `OutboxRelay` runs beside the
service, reads unpublished rows in id order, sends them with an idempotent producer, waits
for the broker's acknowledgement and only then marks them published. A crash between send
and mark sends a row again: consumers absorb that by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import Envelope, encode

if TYPE_CHECKING:
    import asyncpg
    from aiokafka import AIOKafkaProducer

__all__ = ["OutboxRelay", "add_to_outbox"]

log = structlog.get_logger(__name__)


async def add_to_outbox(conn: asyncpg.Connection, *envelopes: Envelope[Any]) -> None:
    """Queue events for publishing; call inside the transaction of the change they describe."""
    rows = []
    for envelope in envelopes:
        record = encode(envelope)
        headers = [[name, value.decode()] for name, value in record.headers]
        rows.append(
            (
                envelope.id,
                envelope.type,
                record.topic,
                record.key,
                record.value,
                json.dumps(headers),
            )
        )
    await conn.executemany(
        "INSERT INTO outbox (event_id, event_type, topic, key, value, headers)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (event_id) DO NOTHING",
        rows,
    )


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
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._schema = schema
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self.published = 0

    def stop(self) -> None:
        """Ask `run` to return once the batch in flight (if any) is marked published."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped or cancelled; failures are logged and retried with backoff."""
        channel = f"{self._schema}_outbox"
        listener = await self._pool.acquire()
        try:
            await listener.add_listener(channel, self._on_notify)
            backoff = 0.1
            while not self._stopping:
                try:
                    sent = await self.relay_once()
                    backoff = 0.1
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay failed; retrying", schema=self._schema)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self._batch_size and not self._stopping:
                    await self._wait()
        finally:
            await listener.remove_listener(channel, self._on_notify)
            await self._pool.release(listener)

    async def relay_once(self) -> int:
        """Send one batch of unpublished rows; returns how many were sent."""
        async with self._pool.acquire() as conn, conn.transaction():
            # One relay per schema at a time, so the outbox order is the Kafka order.
            got_lock = await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext($1))", f"{self._schema}.outbox"
            )
            if not got_lock:
                return 0
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox"
                " WHERE published_at IS NULL ORDER BY id LIMIT $1",
                self._batch_size,
            )
            if not rows:
                return 0
            pending = [
                await self._producer.send(
                    row["topic"],
                    value=row["value"],
                    key=row["key"],
                    headers=[(n, v.encode()) for n, v in json.loads(row["headers"])],
                )
                for row in rows
            ]
            await asyncio.gather(*pending)
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
        self.published += len(rows)
        return len(rows)

    async def backlog(self) -> int:
        """How many committed events wait to be published."""
        async with self._pool.acquire() as conn:
            return int(
                await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
        self._wake.clear()
