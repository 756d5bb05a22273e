"""The shared runtime against the real PostgreSQL and Kafka, in a schema of its own per test."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from lindung_common import Runtime, ServiceSettings, apply_migrations, create_pool, create_producer
from lindung_contracts import decode

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiokafka.structs import ConsumerRecord
    from lindung_contracts import Topic

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)

# A service table for handlers to change; no unique key, so a double effect would show.
EFFECTS_SQL = "CREATE TABLE effects (event_id uuid NOT NULL, note text);\n"


class FixedClock:
    """A clock that always says NOW."""

    def now(self) -> datetime:
        return NOW


class Tail:
    """Reads one topic from the end offsets it saw when opened: only what came after."""

    def __init__(self, bootstrap_servers: str, topic: Topic) -> None:
        self.topic = topic
        self.records: list[ConsumerRecord[bytes, bytes]] = []
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False
        )
        self._partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]

    async def open(self) -> None:
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        for partition, offset in (await self._consumer.end_offsets(self._partitions)).items():
            self._consumer.seek(partition, offset)

    async def close(self) -> None:
        await self._consumer.stop()

    async def until(
        self, done: Callable[[list[Any]], bool], *, timeout: float = 30
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Read until `done(records)` holds; raises TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while not done(self.records):
                batches = await self._consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    self.records.extend(batch)
        return self.records

    async def to_end(self, *, timeout: float = 30) -> list[ConsumerRecord[bytes, bytes]]:
        """Read everything published so far (up to the end offsets as of now)."""
        ends = await self._consumer.end_offsets(self._partitions)
        async with asyncio.timeout(timeout):
            while await self._behind(ends):
                batches = await self._consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    self.records.extend(batch)
        return self.records

    async def _behind(self, ends: dict[TopicPartition, int]) -> bool:
        for partition, end in ends.items():
            if await self._consumer.position(partition) < end:
                return True
        return False


@pytest.fixture
async def tail(stack):
    """`await tail(TOPIC)` opens a Tail at the topic's current end; closed after the test."""
    opened: list[Tail] = []

    async def open_tail(topic: Topic) -> Tail:
        reader = Tail(stack.kafka_bootstrap_servers, topic)
        await reader.open()
        opened.append(reader)
        return reader

    yield open_tail
    for reader in opened:
        await reader.close()


@pytest.fixture
def settings(stack) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        database_url=stack.database_url,
        http_port=0,
    )


@pytest.fixture
def migrations(tmp_path):
    """A service's own migrations directory, with one table for handler effects."""
    directory = tmp_path / "svc" / "migrations"
    directory.mkdir(parents=True)
    (directory / "0001_effects.sql").write_text(EFFECTS_SQL)
    return directory


@pytest.fixture
async def pool(stack, schema, migrations):
    """A pool confined to the test's schema, migrated."""
    created = await create_pool(stack.database_url, schema)
    await apply_migrations(created, schema, migrations)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
async def producer(stack):
    started = create_producer(stack.kafka_bootstrap_servers, "test-common-relay")
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
async def runtime(settings, schema, migrations):
    """A started Runtime (pool, producer, outbox relay) for a service named `svc`."""
    started = Runtime(
        service="svc", schema=schema, settings=settings, migrations=migrations, clock=FixedClock()
    )
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


async def _outbox(pool) -> list[dict[str, Any]]:
    """Every outbox row in id order, with the event decoded."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM outbox ORDER BY id")
    return [dict(row) | {"event": decode(bytes(row["value"]))} for row in rows]


# Helpers as fixtures: test modules are imported by path, so they cannot import this file.
@pytest.fixture
def outbox():
    return _outbox


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()
