"""The AsyncAPI 3.0.0 document of every Lindung topic, built from the topic registry.

Each topic is a channel, each payload type a message whose payload is the whole CloudEvent
(structured content mode: the envelope with `data` set to that type's schema), and each
producer or consumer named in the registry gets a `send` or `receive` operation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ._schemas import JsonObject, envelope_schema, shared_schemas
from .codec import STRUCTURED_CONTENT_TYPE
from .envelope import schema_uri

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._base import Payload
    from .topics import Topic

__all__ = ["CONTENT_TYPE", "asyncapi_document", "channel_id", "operation_id"]

CONTENT_TYPE: Final = "application/cloudevents+json"
_KAFKA_BINDING: Final = "0.5.0"
_ENVELOPE: Final = "CloudEvent"
_SCHEMAS: Final = "#/components/schemas/"


def channel_id(topic: Topic) -> str:
    """The channel's key in the document: the topic name without prefix, e.g. `cases-v1`."""
    return _slug(topic.name.removeprefix("lindung."))


def operation_id(service: str, action: str, topic: Topic) -> str:
    """An operation's key, named after the service, e.g. `router-send-referrals-v1`."""
    return f"{_slug(service)}-{action}-{channel_id(topic)}"


def asyncapi_document(
    topics: tuple[Topic, ...], version: str, examples: Mapping[str, JsonObject]
) -> JsonObject:
    """The whole document; `examples` maps event types to their golden example events."""
    payloads = tuple(p for topic in topics for p in topic.payloads)
    schemas = shared_schemas(payloads, _SCHEMAS + "{model}")
    envelope = {k: v for k, v in envelope_schema().items() if k not in {"$schema", "$id"}}
    schemas[_ENVELOPE] = envelope
    channels: JsonObject = {}
    operations: JsonObject = {}
    messages: JsonObject = {}
    for topic in topics:
        cid = channel_id(topic)
        channels[cid] = _channel(topic)
        for payload in topic.payloads:
            messages[payload.__name__] = _message(payload, topic, examples.get(payload.event_type))
        for action, services in (("send", topic.producers), ("receive", topic.consumers)):
            for service in services:
                operations[operation_id(service, action, topic)] = _operation(
                    service, action, topic
                )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Lindung events",
            "version": version,
            "description": (
                "Every Kafka topic of Lindung, which routes referrals for children "
                "identified as possible trafficking survivors. Events are CloudEvents 1.0 in "
                "the Kafka binding's structured content mode; binary content mode (`ce_*` "
                "headers) is accepted on read. Kafka keys keep one case's events in order. "
                "Every client authenticates (SASL/SCRAM) as a principal of its own, and the "
                "brokers' ACLs let it write and read only the topics that name it as a "
                "producer or consumer here; each agency has topics of its own (the "
                "`{agency_id}` in their addresses). "
                "Within a version only additive changes are made; a breaking change is a "
                "new event type."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": _servers(),
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": _SECURITY_SCHEMES,
        },
    }


# Every client is a principal of its own (SASL/SCRAM); the brokers' ACLs do the rest.
_SECURITY_SCHEMES: Final = {
    "scramSha512": {
        "type": "scramSha512",
        "description": (
            "SASL/SCRAM-SHA-512 (`*_KAFKA_SASL_MECHANISM`, the default): each service and "
            "each agency is a principal of its own, and the brokers' ACLs let it write and "
            "read only the topics that name it as a producer or consumer; an agency's "
            "principal is `agency.<agency_id>`, and at the agency door the principal, never "
            "a field of the message, says which agency sent it."
        ),
    },
    "scramSha256": {
        "type": "scramSha256",
        "description": (
            "SASL/SCRAM-SHA-256, the same principals and ACLs: only for brokers that hold "
            "SHA-256 credentials."
        ),
    },
}
_SECURITY: Final = "#/components/securitySchemes/"
_BOOTSTRAP: Final = {
    "description": "A broker's host:port, as in `*_KAFKA_BOOTSTRAP_SERVERS`.",
    "examples": ["kafka-1.lindung.internal:9093"],
}


def _servers() -> JsonObject:
    """The brokers: over TLS anywhere others can read the network, SCRAM either way."""
    security = [{"$ref": _SECURITY + name} for name in _SECURITY_SCHEMES]
    return {
        "tls": {
            "host": "{bootstrap}",
            "protocol": "kafka-secure",
            "description": (
                "SASL_SSL (`*_KAFKA_SECURITY_PROTOCOL`, the default): SCRAM over TLS, "
                "wherever the brokers are reached over a network. `*_KAFKA_SSL_CAFILE` "
                "names the authorities the brokers' certificates are checked against."
            ),
            "variables": {"bootstrap": _BOOTSTRAP},
            "security": security,
        },
        "plaintext": {
            "host": "{bootstrap}",
            "protocol": "kafka",
            "description": (
                "SASL_PLAINTEXT: SCRAM without TLS, only where no one else can read the "
                "network (one host: the development stack, the tests, a single-host compose)."
            ),
            "variables": {"bootstrap": {**_BOOTSTRAP, "examples": ["127.0.0.1:9092"]}},
            "security": security,
        },
    }


def _channel(topic: Topic) -> JsonObject:
    kafka: JsonObject = {"partitions": topic.partitions, "bindingVersion": _KAFKA_BINDING}
    channel: JsonObject = {
        "address": topic.name,
        "title": topic.name,
        "description": f"{topic.description}\n\nKey: {topic.key}.",
        "messages": {
            p.__name__: {"$ref": f"#/components/messages/{p.__name__}"} for p in topic.payloads
        },
        "bindings": {"kafka": kafka},
        "x-key": topic.key,
        "x-producers": list(topic.producers),
        "x-consumers": list(topic.consumers),
    }
    if topic.per_agency:
        # One topic per agency: the address is a template, the agency id its parameter.
        channel["parameters"] = {
            "agency_id": {
                "description": "The agency's directory id; only its own principal may use "
                "its topics.",
                "examples": ["pdrm-kl"],
            }
        }
    else:
        kafka["topic"] = topic.name
    return channel


def _message(payload: type[Payload], topic: Topic, example: JsonObject | None) -> JsonObject:
    data_schema = payload.model_json_schema()
    key_schema = {
        k: v
        for k, v in data_schema["properties"][payload.key_field].items()
        if k not in {"title", "default"}
    }
    summary = (payload.__doc__ or payload.__name__).strip().splitlines()[0]
    message: JsonObject = {
        "name": payload.event_type,
        "title": payload.__name__,
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "properties": {
                "content-type": {
                    "const": STRUCTURED_CONTENT_TYPE,
                    "description": "Kafka record header of the structured content mode.",
                }
            },
        },
        "payload": {
            "type": "object",
            "description": f"A CloudEvent of type `{payload.event_type}`.",
            "allOf": [{"$ref": _SCHEMAS + _ENVELOPE}],
            "properties": {
                "type": {"const": payload.event_type},
                "dataschema": {"const": schema_uri(payload.event_type)},
                "data": {"$ref": _SCHEMAS + payload.__name__},
            },
        },
        "bindings": {
            "kafka": {
                "key": {**key_schema, "description": _key_description(payload, topic)},
                "bindingVersion": _KAFKA_BINDING,
            }
        },
    }
    if example is not None:
        message["examples"] = [
            {
                "name": "golden",
                "summary": f"contracts/examples/{payload.event_type}.json",
                "headers": {"content-type": STRUCTURED_CONTENT_TYPE},
                "payload": example,
            }
        ]
    return message


def _key_description(payload: type[Payload], topic: Topic) -> str:
    _, _, why = topic.key.partition(": ")
    text = f"The payload's `{payload.key_field}`"
    return f"{text}: {why}." if why else f"{text}."


def _operation(service: str, action: str, topic: Topic) -> JsonObject:
    cid = channel_id(topic)
    verb = "publishes to" if action == "send" else "consumes"
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{cid}"},
        "title": f"{service} {verb} {topic.name}",
        "summary": f"{service} {verb} `{topic.name}`: {topic.description}",
        "messages": [{"$ref": f"#/channels/{cid}/messages/{p.__name__}"} for p in topic.payloads],
        "tags": [{"name": service}],
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
