"""Raw Kafka baseline: produce and consume CaseOpened-sized messages on a scratch topic."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from _e2e_load import identification
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from lindung_common.kafka import create_producer
from lindung_contracts import CaseOpened, Envelope, Identification, encode

if TYPE_CHECKING:
    from collections.abc import Mapping


def case_opened_bytes() -> bytes:
    """One CaseOpened record value, as intake would publish it."""
    _, body = identification("BASELINE-1", random.Random(2))
    found = Identification.model_validate(body)
    now = datetime.now(UTC)
    event = CaseOpened(
        case_id=uuid.uuid4(),
        agency_id="pdrm-selangor",
        identified_at=found.identified_at,
        opened_at=now,
        child=found.child,
        situation=found.situation,
    )
    envelope = Envelope.wrap(event, event_id=uuid.uuid4(), time=now, source="/lindung/intake")
    return encode(envelope).value


async def produce_consume(
    kafka: Mapping[str, Any], count: int, partitions: int = 4
) -> tuple[float, int]:
    """(seconds from the first send until all `count` are consumed, message size in bytes)."""
    topic = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    # The broker refuses to create topics on first use, so the scratch topic is made here.
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, replication_factor=1)])
    finally:
        await admin.close()
    value = case_opened_bytes()
    producer = create_producer(kafka, "bench-e2e-baseline")
    # Assigned rather than subscribed: no group join, and every partition read from offset 0.
    consumer = AIOKafkaConsumer(**kafka, auto_offset_reset="earliest", enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        # One record per partition first: partition leaders exist before anyone reads. A topic
        # created a moment ago is briefly missing from metadata, which aiokafka logs as an error.
        quiet = logging.getLogger("aiokafka.cluster")
        quiet.disabled = True
        try:
            for partition in range(partitions):
                await producer.send_and_wait(topic, value, partition=partition)
        finally:
            quiet.disabled = False
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        consumed = 0

        async def consume(n: int) -> None:
            nonlocal consumed
            target = consumed + n
            while consumed < target:
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                consumed += sum(len(records) for records in batches.values())

        async def burst(n: int) -> float:
            began = time.perf_counter()
            reading = asyncio.create_task(consume(n))
            sends = [
                await producer.send(topic, value, key=str(uuid.uuid4()).encode()) for _ in range(n)
            ]
            await asyncio.gather(*sends)
            await asyncio.wait_for(reading, timeout=120)
            return time.perf_counter() - began

        await consume(partitions)
        # A first, untimed burst so the broker's JIT and the clients' buffers are warm.
        await burst(min(count, 1000))
        return await burst(count), len(value)
    finally:
        await consumer.stop()
        await producer.stop()
        admin = AIOKafkaAdminClient(**kafka)
        await admin.start()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()
