"""A record a consumer could not process, kept whole with the reason."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from ._base import Payload

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
    original_key_b64: str | None = Field(description="The original key bytes, base64.")
    original_value_b64: str = Field(description="The original value bytes, base64.")
    dead_lettered_at: AwareDatetime = Field(description="When it was set aside.")
