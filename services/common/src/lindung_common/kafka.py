"""Kafka producers and the dead-letter record, configured the one way Lindung needs."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaProducer
from lindung_contracts import Envelope, EventDeadLettered

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

__all__ = ["create_producer", "dead_letter"]


def create_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer that waits for every in-sync replica (no silent loss)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )


def dead_letter(
    *,
    consumer: str,
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    event_id: UUID,
    now: datetime,
    source: str,
) -> Envelope[EventDeadLettered]:
    """The dead-letter event for a record that cannot be processed: reason + original bytes."""
    payload = EventDeadLettered(
        consumer=consumer,
        reason=reason[:2000],
        original_topic=topic,
        original_partition=partition,
        original_offset=offset,
        original_key_b64=base64.b64encode(key).decode() if key is not None else None,
        original_value_b64=base64.b64encode(value or b"").decode(),
        dead_lettered_at=now,
    )
    return Envelope.wrap(payload, event_id=event_id, time=now, source=source)
