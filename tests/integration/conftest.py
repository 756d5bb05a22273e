"""Fixtures for every integration test: reading a topic from where it stood."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiokafka.structs import ConsumerRecord
    from lindung_contracts import Topic


class Tail:
    """Reads one topic from the end offsets it saw when opened: only what came after."""

    def __init__(self, kafka: dict[str, Any], topic: Topic) -> None:
        self.topic = topic
        self.records: list[ConsumerRecord[bytes, bytes]] = []
        self._consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False)
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
        reader = Tail(stack.kafka(), topic)
        await reader.open()
        opened.append(reader)
        return reader

    yield open_tail
    for reader in opened:
        await reader.close()
