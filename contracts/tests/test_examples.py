"""The golden example events: each decodes, validates against its schema and round-trips."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lindung_contracts import PAYLOAD_TYPES, decode, encode, schema_uri, topic_for
from lindung_contracts.generate import CONTRACTS_DIR

EXAMPLES = CONTRACTS_DIR / "examples"
SCHEMAS = CONTRACTS_DIR / "schemas"
EVENT_TYPES = sorted(PAYLOAD_TYPES)

# jsonschema checks `date-time` only with an optional package; this check also insists on an
# offset, as RFC 3339 does: a time without one is ambiguous for a legal deadline.
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    return "T" in value and parsed.tzinfo is not None


def raw_example(event_type: str) -> bytes:
    return (EXAMPLES / f"{event_type}.json").read_bytes()


def data_validator(event_type: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{event_type}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


def schema_errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_registered_type_has_an_example_and_a_schema(event_type):
    assert (EXAMPLES / f"{event_type}.json").is_file()
    assert (SCHEMAS / f"{event_type}.json").is_file()


def test_no_example_or_schema_without_a_registered_type():
    assert {p.stem for p in EXAMPLES.glob("*.json")} == set(PAYLOAD_TYPES)
    assert {p.stem for p in SCHEMAS.glob("*.json")} == {*PAYLOAD_TYPES, "envelope"}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_example_decodes_into_its_declared_type(event_type):
    envelope = decode(raw_example(event_type))

    assert type(envelope.data) is PAYLOAD_TYPES[event_type]
    assert envelope.type == event_type
    assert envelope.dataschema == schema_uri(event_type)
    assert envelope.partitionkey == envelope.data.kafka_key()
    assert envelope.subject == envelope.data.subject()
    assert envelope.time.utcoffset() is not None


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_example_data_validates_against_its_committed_schema(event_type):
    example = json.loads(raw_example(event_type))
    validator = data_validator(event_type)

    assert validator.schema["$id"] == example["dataschema"]
    assert schema_errors(validator, example["data"]) == []


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_example_validates_against_the_envelope_schema(event_type):
    schema = json.loads((SCHEMAS / "envelope.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FORMATS)

    assert schema_errors(validator, json.loads(raw_example(event_type))) == []


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_reencoding_a_decoded_example_gives_the_same_document(event_type):
    raw = raw_example(event_type)
    example = json.loads(raw)

    record = encode(decode(raw))

    assert json.loads(record.value) == example
    topic = topic_for(PAYLOAD_TYPES[event_type])
    if topic.per_agency:  # the sending (or refused) agency's own topic
        topic = topic.for_agency(example["data"]["agency_id"])
    assert record.topic == topic.name
    assert record.key == example["partitionkey"].encode()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda data: data.pop("case_id"), "'case_id' is a required property"),
        (lambda data: data.update(child_name="x"), "Additional properties are not allowed"),
        (lambda data: data.update(opened_at="2025-03-14T09:41:12"), "is not a 'date-time'"),
        (lambda data: data.update(case_id="case-17"), "is not a 'uuid'"),
    ],
    ids=["missing-field", "unknown-field", "time-without-offset", "case-id-not-uuid"],
)
def test_schema_validation_refuses_a_spoiled_example(change, complaint):
    data = json.loads(raw_example("org.lindung.case.opened.v1"))["data"]
    change(data)

    errors = schema_errors(data_validator("org.lindung.case.opened.v1"), data)

    assert any(complaint in error for error in errors), errors
