"""JSON Schemas of the payloads and of the envelope, derived from the models.

The schemas are pydantic's validation-mode schemas: they state what `decode` accepts, which
is what a producer outside this code base (an agency system writing the agency topic with
its own CloudEvents SDK) must send. Our own encoder always writes a document that
validates against them (the golden-example tests hold it to that). For these models the
serialization-mode schema is identical today; validation mode is chosen so that a future
computed field or custom serializer cannot make the contract describe what we write
rather than what we accept, and so that "required" keeps meaning "a producer must send it".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydantic.json_schema import models_json_schema

from .envelope import Envelope, schema_uri
from .topics import topic_for

if TYPE_CHECKING:
    from ._base import Payload

__all__ = [
    "DIALECT",
    "ENVELOPE_SCHEMA_ID",
    "JsonObject",
    "data_schema",
    "envelope_schema",
    "shared_schemas",
]

JsonObject = dict[str, Any]

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_SCHEMA_ID: Final = schema_uri("envelope")
_MODE: Final = "validation"


def data_schema(payload: type[Payload]) -> JsonObject:
    """The JSON Schema (draft 2020-12) of one payload type's `data`."""
    body = payload.model_json_schema(mode=_MODE)
    topic = topic_for(payload)
    summary = (payload.__doc__ or payload.__name__).strip().splitlines()[0]
    return {
        "$schema": DIALECT,
        "$id": schema_uri(payload.event_type),
        **body,
        "title": payload.__name__,
        "description": (
            f"{summary}\n\nThe `data` of CloudEvents type `{payload.event_type}`, "
            f"published on `{topic.name}`."
        ),
    }


def envelope_schema() -> JsonObject:
    """The JSON Schema of the CloudEvents envelope: every attribute, `data` any object."""
    body = Envelope[Any].model_json_schema(mode=_MODE)
    body.pop("$defs", None)
    body["properties"]["data"] = {
        "type": "object",
        "description": "The payload; its JSON Schema is the one named by `dataschema` "
        "(`contracts/schemas/<type>.json`).",
    }
    return {
        "$schema": DIALECT,
        "$id": ENVELOPE_SCHEMA_ID,
        **body,
        "title": "CloudEvent",
        "description": (
            "A Lindung event: a CloudEvents 1.0 event in the Kafka binding's structured "
            "content mode (the whole event is the record value). The record key equals "
            "`partitionkey`. Attributes other producers add are tolerated and dropped."
        ),
    }


def shared_schemas(payloads: tuple[type[Payload], ...], ref_template: str) -> dict[str, JsonObject]:
    """Every payload and nested model schema under one namespace, refs via `ref_template`.

    Used where the schemas live inside one document (AsyncAPI `components.schemas`), so a
    nested model that several payloads share is stated once.
    """
    _, defs = models_json_schema(
        [(payload, _MODE) for payload in payloads], ref_template=ref_template
    )
    schemas: dict[str, JsonObject] = defs.get("$defs", {})
    return schemas
