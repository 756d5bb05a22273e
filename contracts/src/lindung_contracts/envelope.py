"""The CloudEvents 1.0 envelope every Lindung event travels in."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - pydantic resolves annotations at runtime
from typing import Any, Final, Generic, Literal, TypeVar, cast
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ._base import Instant, Payload

__all__ = ["DATA_CONTENT_TYPE", "Envelope", "schema_uri"]

P = TypeVar("P", bound=Payload)

DATA_CONTENT_TYPE: Final = "application/json"


def schema_uri(event_type: str) -> str:
    """The `dataschema` of an event type: names the committed JSON Schema file."""
    return f"urn:lindung:schema:{event_type}"


class Envelope(BaseModel, Generic[P]):
    """A CloudEvents 1.0 event whose `data` is a Lindung payload.

    Unknown extension attributes from other producers are tolerated and dropped, as the
    CloudEvents spec asks of consumers.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents version.")
    id: UUID = Field(description="Unique per event; consumers de-duplicate on it.")
    source: str = Field(
        min_length=1, description="URI-reference of the producer, e.g. `/lindung/router`."
    )
    type: str = Field(description="Event type, e.g. `org.lindung.case.opened.v1`.")
    time: Instant = Field(description="When the fact happened or was recorded.")
    subject: str = Field(description="What the event is about (a case, referral or agency).")
    datacontenttype: Literal["application/json"] = Field(
        default=DATA_CONTENT_TYPE, description="Media type of `data`."
    )
    dataschema: str = Field(description="URI of the JSON Schema of `data`.")
    partitionkey: str = Field(
        description="CloudEvents Kafka binding extension: the Kafka record key."
    )
    data: P = Field(description="The payload.")

    @classmethod
    def wrap(cls, payload: P, *, event_id: UUID, time: datetime, source: str) -> Envelope[P]:
        """Put a payload in an envelope; the id and time are the caller's, never read here."""
        # Parametrized by the payload's own class, so `data` validates and dumps as that type.
        model: Any = Envelope[type(payload)]  # type: ignore[misc]
        envelope = model(
            id=event_id,
            source=source,
            type=payload.event_type,
            time=time,
            subject=payload.subject(),
            dataschema=schema_uri(payload.event_type),
            partitionkey=payload.kafka_key(),
            data=payload,
        )
        return cast("Envelope[P]", envelope)

    def attributes(self) -> dict[str, Any]:
        """The context attributes without the data, for logs and headers."""
        return self.model_dump(mode="json", exclude={"data"})
