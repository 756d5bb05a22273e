"""A record a consumer could not process, kept whole with the reason."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ._base import Instant, Payload

__all__ = ["EventDeadLettered"]


class EventDeadLettered(Payload):
    """A consumer set aside a record it cannot process; nothing is dropped silently."""

    event_type: ClassVar[str] = "org.lindung.event.dead-lettered.v1"
    key_field: ClassVar[str] = "original_topic"
    subject_field: ClassVar[str] = "original_topic"

    consumer: str = Field(description="The consumer group that refused the record.")
    reason: str = Field(description="Why, without personal data.")
    original_topic: str = Field(description="Topic the record was read from.")
    original_partition: int = Field(ge=0, description="Its partition.")
    original_offset: int = Field(ge=0, description="Its offset.")
    original_key_b64: str | None = Field(
        description="Always null: a record's key may hold anything; the consumer's database "
        "keeps it."
    )
    original_value_b64: str = Field(
        description="Always empty: a record that could not be processed may hold personal "
        "data, so its bytes never leave the consumer's own database, which keeps it whole "
        "for replay; `original_size` and `original_sha256` identify it."
    )
    dead_lettered_at: Instant = Field(description="When it was set aside.")
    original_size: int | None = Field(
        default=None, ge=0, description="Length of the original value in bytes."
    )
    original_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the original value, hex: finds the record however it was kept.",
    )
    agency_id: str | None = Field(
        default=None,
        description="The agency the record came from, where its key or data says so; then "
        "also the Kafka key, so an agency finds its own dead letters.",
    )
    failure_class: str | None = Field(
        default=None,
        description="`deterministic` (the record is at fault) or `unknown` (kept failing).",
    )

    def kafka_key(self) -> str:
        """The agency where known, so one agency's dead letters share a key; else the topic."""
        return self.agency_id or self.original_topic
