"""A routed case reaches Kafka: the outbox relay publishes to the real broker."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from lindung_contracts import REFERRALS, ReferralRequested, ServiceType, decode

pytestmark = pytest.mark.integration


async def test_referrals_requested_are_published_keyed_by_case(stack, router, case_opened):
    envelope = case_opened()
    case_id = envelope.data.case_id
    await router.deliver(envelope)

    consumer = AIOKafkaConsumer(
        REFERRALS.name,
        **stack.kafka(),
        group_id=f"test-router-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[ServiceType, tuple[bytes, ReferralRequested]] = {}
    try:
        async with asyncio.timeout(60):
            while len(found) < 4:
                batches = await consumer.getmany(timeout_ms=500)
                for message in (m for ms in batches.values() for m in ms):
                    event = decode(message.value, message.headers).data
                    if isinstance(event, ReferralRequested) and event.case_id == case_id:
                        found[event.service] = (message.key, event)
    finally:
        await consumer.stop()

    assert set(found) == {
        ServiceType.CHILD_PROTECTOR,
        ServiceType.SAFE_SHELTER,
        ServiceType.HEALTH,
        ServiceType.LEGAL_AID,
    }
    assert {key for key, _ in found.values()} == {str(case_id).encode()}
    assert found[ServiceType.SAFE_SHELTER][1].provider_id == "shelter-a"
