"""Through the real broker: a fired escalation reaches `lindung.deadlines.v1`."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer
from lindung_contracts import DEADLINES, DeadlineMissed, decode

pytestmark = pytest.mark.integration


async def test_an_escalation_is_published_keyed_by_case(monitor, fire_due, new_referral, stack):
    referral = new_referral()
    await monitor.deliver(referral.requested())
    report = await fire_due(referral.due_at)
    assert [type(e.data) for e in report.fired] == [DeadlineMissed]

    consumer = AIOKafkaConsumer(
        DEADLINES.name,
        **stack.kafka(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        found = None
        async with asyncio.timeout(60):
            while found is None:
                batches = await consumer.getmany(timeout_ms=500)
                for record in (r for records in batches.values() for r in records):
                    if record.key == str(referral.case_id).encode():
                        found = record
    finally:
        await consumer.stop()

    event = decode(found.value, found.headers)
    assert isinstance(event.data, DeadlineMissed)
    assert event.data.escalation_level == 1
    assert event.data.referral_id == referral.referral_id
    assert event.id == report.fired[0].id
