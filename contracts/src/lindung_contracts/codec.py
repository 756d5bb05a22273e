"""The one codec for Lindung events on Kafka, used by aiokafka producers and Faust agents.

Events are written in the CloudEvents Kafka binding's structured content mode: the whole
event is the JSON record value, `content-type: application/cloudevents+json`, and the
record key is the `partitionkey` extension (the case id on case-scoped topics). Binary
content mode (`ce_*` headers, `data` as the value) is read too, so agency systems may
publish with any CloudEvents SDK.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .envelope import Envelope, schema_uri
from .identification import FieldError
from .topics import PAYLOAD_TYPES, topic_for

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from ._base import Payload

__all__ = [
    "MOST_ERRORS",
    "STRUCTURED_CONTENT_TYPE",
    "DecodeError",
    "KafkaRecord",
    "capped",
    "decode",
    "encode",
    "field_errors",
]

# On Kafka records and webhooks alike. Lower case, as the CloudEvents SDKs write it: the
# JavaScript SDK's HTTP binding looks the content type up letter for letter, and refuses
# `charset=UTF-8`.
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$|^\d{1,6}$")
# pydantic error types whose message quotes part of the input after a comma.
_QUOTING_TYPES = frozenset({"uuid_parsing"})
# The pydantic error type of a key the model does not declare: the key came from input.
_UNDECLARED_KEY = "extra_forbidden"
# The most errors one refusal lists: a body with thousands of bad keys gets a short answer.
MOST_ERRORS = 20
_BINARY_PREFIX = "ce_"


@dataclass(frozen=True)
class KafkaRecord:
    """What goes onto Kafka for one event."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class DecodeError(ValueError):
    """A record is not a valid Lindung event; `errors` says every reason."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = tuple(errors)


def encode(envelope: Envelope[Any]) -> KafkaRecord:
    """Serialize an event for its registry topic (its agency's own, for a per-agency one)."""
    topic = topic_for(type(envelope.data))
    if topic.per_agency:
        topic = topic.for_agency(envelope.data.agency_id)
    return KafkaRecord(
        topic=topic.name,
        key=envelope.partitionkey.encode(),
        value=envelope.model_dump_json().encode(),
        headers=(("content-type", STRUCTURED_CONTENT_TYPE.encode()),),
    )


Headers = list[tuple[str, bytes | None]] | tuple[tuple[str, bytes | None], ...]


def decode(
    value: bytes | None,
    headers: Headers | None = None,
    *,
    expect: tuple[type[Payload], ...] | None = None,
    received_at: datetime | None = None,
) -> Envelope[Any]:
    """Parse and validate one record into a typed envelope, or raise `DecodeError`.

    With `received_at`, an event from outside Lindung needs only what CloudEvents
    requires (`specversion`, `id`, `source`, `type`): the rest is completed (see
    `_complete`). Lindung's own events always carry every attribute.
    """
    document = _parse(value)
    ce_headers = _binary_attributes(headers or ())
    if ce_headers:
        document = {**ce_headers, "data": document}
    if not isinstance(document, dict):
        raise DecodeError([FieldError(field="value", reason="must be a JSON object")])
    event_type = document.get("type")
    payload_cls = PAYLOAD_TYPES.get(event_type) if isinstance(event_type, str) else None
    if payload_cls is None:
        # The unknown value is not echoed: it came from outside.
        raise DecodeError([FieldError(field="type", reason="unknown event type")])
    if expect is not None and payload_cls not in expect:
        names = ", ".join(p.event_type for p in expect)
        reason = f"{event_type} is not accepted here (expected {names})"
        raise DecodeError([FieldError(field="type", reason=reason)])
    if received_at is not None:
        document = _complete(document, payload_cls, received_at)
    try:
        return Envelope[payload_cls].model_validate(document)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise DecodeError(field_errors(exc)) from None
    except RecursionError:
        raise DecodeError([FieldError(field="data", reason="nested too deeply")]) from None


def _complete(
    document: dict[str, Any], payload_cls: type[Payload], received_at: datetime
) -> dict[str, Any]:
    """Fill the attributes CloudEvents leaves optional from what the event itself says.

    `time` is when it was received; `dataschema` names the type's schema; `subject` and
    `partitionkey` follow from the data, as Lindung would have set them. An `id` that is
    not a UUID (CloudEvents allows any string, unique per source) becomes the UUID 5 of
    source and id, so the same event keeps the same id.
    """
    completed = dict(document)
    completed.setdefault("time", received_at.isoformat())
    completed.setdefault("dataschema", schema_uri(payload_cls.event_type))
    event_id, source = completed.get("id"), completed.get("source")
    if isinstance(event_id, str) and isinstance(source, str) and event_id:
        try:
            uuid.UUID(event_id)
        except ValueError:
            completed["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}#{event_id}"))
    if "subject" not in completed or "partitionkey" not in completed:
        try:
            payload = payload_cls.model_validate(completed.get("data"))
        except (ValidationError, RecursionError):
            return completed  # the full validation below says what is wrong with the data
        completed.setdefault("subject", payload.subject())
        completed.setdefault("partitionkey", payload.kafka_key())
    return completed


def _parse(value: bytes | None) -> Any:
    if not value:
        raise DecodeError([FieldError(field="value", reason="record has no value")])
    try:
        return json.loads(value)
    except UnicodeDecodeError:
        reason = "not JSON: not UTF-8 text"
    except json.JSONDecodeError as exc:
        # The message and its position only: `exc.doc` holds the input.
        reason = f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except ValueError:  # a number too long to convert, for one
        reason = "not JSON: a value too large"
    except RecursionError:
        reason = "JSON nested too deeply"
    raise DecodeError([FieldError(field="value", reason=reason)])


def field_errors(
    exc: ValidationError | Sequence[Mapping[str, Any]],
    *,
    skip: tuple[str, ...] = (),
    whole: str = "value",
    most: int = MOST_ERRORS,
) -> list[FieldError]:
    """Pydantic's errors as plain field/reason pairs: the one formatter, echoing no input.

    Input values are never copied (`include_input=False`). A key the model does not
    declare (pydantic's `extra_forbidden`: the sender made it up, and it may be a name or
    a document number) is always shown as `<key>`, whatever it looks like; so is any other
    path part that does not look like a field name or an index. Messages that quote a
    piece of the input are cut before it. `skip` drops leading path parts such as
    FastAPI's `body`; an error about the whole input names `whole`. At most `most` errors
    are listed, and one more entry says how many were left out.
    """
    errors = exc.errors(include_url=False, include_input=False) if isinstance(
        exc, ValidationError
    ) else exc  # fmt: skip
    result = [_field_error(err, skip, whole) for err in itertools.islice(errors, most)]
    return capped(result, total=len(errors), whole=whole, most=most)


def capped(
    errors: Sequence[FieldError],
    *,
    total: int | None = None,
    whole: str = "body",
    most: int = MOST_ERRORS,
) -> list[FieldError]:
    """At most `most` errors, and one more entry counting the `total` left out."""
    left_out = (len(errors) if total is None else total) - min(len(errors), most)
    listed = list(errors[:most])
    if left_out > 0:
        listed.append(FieldError(field=whole, reason=f"{left_out} more errors not listed"))
    return listed


def _field_error(err: Mapping[str, Any], skip: tuple[str, ...], whole: str) -> FieldError:
    parts = [str(p) for p in err["loc"]]
    made_up = len(parts) - 1 if err.get("type") == _UNDECLARED_KEY else None
    shown = [p if i != made_up and _PLAIN_FIELD.match(p) else "<key>" for i, p in enumerate(parts)]
    while shown and parts and parts[0] in skip:
        parts.pop(0)
        shown.pop(0)
    reason = str(err["msg"])
    if err.get("type") in _QUOTING_TYPES:
        reason = reason.split(",", 1)[0]
    return FieldError(field=".".join(shown) or whole, reason=reason)


def _binary_attributes(headers: Headers) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for name, raw in headers:
        lowered = name.lower()
        if lowered.startswith(_BINARY_PREFIX):
            if raw is None:
                reason = "a CloudEvents header has no value"
                raise DecodeError([FieldError(field=f"headers.{lowered}", reason=reason)])
            attrs[lowered.removeprefix(_BINARY_PREFIX)] = raw.decode("utf-8", "replace")
    return attrs
