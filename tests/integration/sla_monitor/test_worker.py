"""The real worker (`python -m lindung_sla_monitor`): from REFERRALS to an escalation on Kafka."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from lindung_contracts import DEADLINES, DeadlineMissed, decode, encode

pytestmark = pytest.mark.integration


async def test_the_worker_records_a_referral_and_escalates_it(stack, spawn_worker, new_referral):
    worker = spawn_worker(SLA_MONITOR_TICK_SECONDS="0.5")
    consumer = AIOKafkaConsumer(
        DEADLINES.name,
        **stack.kafka(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    found = []
    await worker.ready()

    # A referral whose deadline passed an hour ago: the worker's next ticks must escalate.
    referral = new_referral(
        requested_at=datetime.now(UTC) - timedelta(hours=5), window=timedelta(hours=4)
    )
    record = encode(referral.requested())
    producer = AIOKafkaProducer(**stack.kafka())
    await producer.start()
    try:
        await producer.send_and_wait(
            record.topic, record.value, key=record.key, headers=list(record.headers)
        )
    finally:
        await producer.stop()

    await consumer.start()
    try:
        async with asyncio.timeout(120):
            while not found and worker.process.poll() is None:
                batches = await consumer.getmany(timeout_ms=500)
                records = (r for rs in batches.values() for r in rs)
                found = [r for r in records if r.key == str(referral.case_id).encode()]
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    stopped = await worker.stop()

    assert found, "no escalation published; worker log:\n" + worker.log()[-4000:]

    events = [decode(r.value, r.headers) for r in found]
    assert [type(e.data) for e in events] == [DeadlineMissed]
    assert events[0].data.escalation_level == 1
    assert events[0].data.referral_id == referral.referral_id
    assert stopped == 0, "the worker did not stop cleanly on SIGTERM"
