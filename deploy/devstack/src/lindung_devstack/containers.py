"""The Docker path: the same infrastructure from testcontainers, where an engine exists."""

from __future__ import annotations

__all__ = ["start_containers"]

KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15"


def start_containers() -> tuple[str, str, list[object]]:
    """Start Kafka (KRaft) and PostgreSQL containers; returns their addresses."""
    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415 - optional dependency
    from testcontainers.postgres import PostgresContainer  # noqa: PLC0415

    kafka = KafkaContainer(KAFKA_IMAGE).with_kraft()
    kafka.with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    postgres = PostgresContainer(POSTGRES_IMAGE, dbname="lindung", driver=None)
    kafka.start()
    postgres.start()
    return kafka.get_bootstrap_server(), postgres.get_connection_url(), [kafka, postgres]
