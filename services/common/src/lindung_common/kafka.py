"""Kafka clients, configured the one way Lindung needs: authenticated, and without loss."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer
from aiokafka.helpers import create_ssl_context

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .settings import ServiceSettings

__all__ = ["client_options", "create_producer"]


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Where the brokers are and who this service is, for any aiokafka client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        options["ssl_context"] = create_ssl_context(cafile=cafile)
    return options


def create_producer(
    kafka: Mapping[str, Any],
    client_id: str,
    *,
    request_timeout_ms: int = 30_000,
    max_request_size: int = 1_048_576,
) -> AIOKafkaProducer:
    """An idempotent producer that waits for every in-sync replica (no silent loss).

    `kafka` holds the connection and credentials (`client_options`).
    """
    return AIOKafkaProducer(
        **kafka,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=request_timeout_ms,
        max_request_size=max_request_size,
    )
