"""Kafka producers, configured the one way Lindung needs."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

__all__ = ["create_producer"]


def create_producer(
    bootstrap_servers: str,
    client_id: str,
    *,
    request_timeout_ms: int = 30_000,
    max_request_size: int = 1_048_576,
) -> AIOKafkaProducer:
    """An idempotent producer that waits for every in-sync replica (no silent loss)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=request_timeout_ms,
        max_request_size=max_request_size,
    )
