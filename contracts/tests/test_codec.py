"""The codec on records that are not valid events, and on binary content mode."""

from __future__ import annotations

import json

import pytest
from lindung_contracts import (
    CaseOpened,
    DecodeError,
    IdentificationReported,
    ReferralRequested,
    decode,
)
from lindung_contracts.generate import CONTRACTS_DIR

EXAMPLES = CONTRACTS_DIR / "examples"


def example(event_type: str) -> dict:
    return json.loads((EXAMPLES / f"{event_type}.json").read_text())


def fields_and_reasons(exc: DecodeError) -> dict[str, str]:
    return {error.field: error.reason for error in exc.errors}


def binary_mode(event: dict) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The same event in binary content mode: attributes as `ce_*` headers, data as value."""
    headers = [
        (f"ce_{name}", str(value).encode()) for name, value in event.items() if name != "data"
    ]
    headers.append(("content-type", b"application/json"))
    return json.dumps(event["data"]).encode(), headers


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        (None, "value", "record has no value"),
        (b"", "value", "record has no value"),
        (b"{not json", "value", "not JSON"),
        (b"\xff\xfe\x00", "value", "not JSON"),
        (b"[1, 2, 3]", "value", "must be a JSON object"),
        (b'"a string"', "value", "must be a JSON object"),
        (b'{"type": "org.lindung.case.closed.v1"}', "type", "unknown event type"),
        (b'{"specversion": "1.0"}', "type", "unknown event type"),
    ],
    ids=[
        "none",
        "empty",
        "not-json",
        "not-utf8",
        "array",
        "string",
        "unknown-type",
        "no-type",
    ],
)
def test_bad_records_are_refused_with_the_reason(value, field, reason):
    with pytest.raises(DecodeError) as raised:
        decode(value)

    assert reason in fields_and_reasons(raised.value)[field]


def test_a_missing_required_field_is_named():
    event = example("org.lindung.case.opened.v1")
    del event["data"]["case_id"]
    del event["time"]

    with pytest.raises(DecodeError) as raised:
        decode(json.dumps(event).encode())

    assert set(fields_and_reasons(raised.value)) == {"data.case_id", "time"}
    assert "data.case_id" in str(raised.value)


def test_a_nested_invalid_value_is_named_without_echoing_it():
    event = example("org.lindung.case.opened.v1")
    event["data"]["child"]["gender"] = "secret-value"

    with pytest.raises(DecodeError) as raised:
        decode(json.dumps(event).encode())

    assert list(fields_and_reasons(raised.value)) == ["data.child.gender"]
    assert "secret-value" not in str(raised.value)


def test_a_type_the_consumer_does_not_expect_is_refused():
    raw = json.dumps(example("org.lindung.referral.requested.v1")).encode()

    with pytest.raises(DecodeError) as raised:
        decode(raw, expect=(CaseOpened,))

    assert "is not accepted here" in fields_and_reasons(raised.value)["type"]


@pytest.mark.parametrize(
    ("event_type", "payload_type"),
    [
        ("org.lindung.referral.requested.v1", ReferralRequested),
        ("org.lindung.identification.reported.v1", IdentificationReported),
    ],
)
def test_binary_content_mode_decodes_into_the_right_type(event_type, payload_type):
    event = example(event_type)
    value, headers = binary_mode(event)

    envelope = decode(value, headers)

    assert type(envelope.data) is payload_type
    assert envelope == decode(json.dumps(event).encode())


def test_binary_content_mode_with_an_unknown_type_is_refused():
    event = example("org.lindung.case.opened.v1")
    event["type"] = "org.example.unknown.v1"
    value, headers = binary_mode(event)

    with pytest.raises(DecodeError) as raised:
        decode(value, headers)

    assert "unknown event type" in fields_and_reasons(raised.value)["type"]
