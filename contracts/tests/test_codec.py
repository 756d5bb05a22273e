"""The codec on records that are not valid events, and on binary content mode."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    IDENTIFICATION_REJECTIONS,
    CaseOpened,
    DecodeError,
    IdentificationReported,
    ReferralRequested,
    agency_of_topic,
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
        (b'{"type": "org.lindung.case.reopened.v1"}', "type", "unknown event type"),
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


# Poison: records built to break a consumer. Each must end in `DecodeError` (or, where the
# record is in fact valid, an envelope), never in another exception that kills the loop.

NAME = "Siti Aminah binti Ali"
YEAR_ONE = "0001-01-01T00:00:00+05:00"


def decode_or_decode_error(value: bytes | None, headers=None):
    """The envelope, or the `DecodeError`; any other exception fails the test."""
    try:
        return decode(value, headers)
    except DecodeError as exc:
        return exc


def test_a_null_cloudevents_header_value_is_refused():
    event = example("org.lindung.case.opened.v1")
    value, headers = binary_mode(event)
    headers = [(n, None if n == "ce_type" else v) for n, v in headers]

    with pytest.raises(DecodeError) as raised:
        decode(value, headers)

    assert fields_and_reasons(raised.value) == {
        "headers.ce_type": "a CloudEvents header has no value"
    }


def test_a_null_header_value_outside_cloudevents_is_ignored():
    event = example("org.lindung.case.opened.v1")

    envelope = decode(json.dumps(event).encode(), [("traceparent", None)])

    assert str(envelope.data.case_id) == event["data"]["case_id"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"[" * 10_000 + b"]" * 10_000, id="arrays"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="objects"),
    ],
)
def test_json_nested_ten_thousand_deep_is_refused(value):
    with pytest.raises(DecodeError) as raised:
        decode(value)

    assert fields_and_reasons(raised.value) == {"value": "JSON nested too deeply"}


def test_deep_nesting_inside_the_data_of_a_known_type_is_refused():
    event = example("org.lindung.case.opened.v1")
    nested: object = []
    for _ in range(900):
        nested = [nested]
    event["data"]["child"]["languages"] = nested

    assert isinstance(decode_or_decode_error(json.dumps(event).encode()), DecodeError)


@pytest.mark.parametrize(
    ("value", "headers"),
    [
        (json.dumps({"type": NAME, "data": {}}).encode(), None),
        (b"{}", [("ce_type", NAME.encode())]),
    ],
    ids=["structured", "binary"],
)
def test_an_unknown_type_is_refused_without_echoing_it(value, headers):
    with pytest.raises(DecodeError) as raised:
        decode(value, headers)

    assert fields_and_reasons(raised.value) == {"type": "unknown event type"}
    assert "Siti" not in str(raised.value)


def test_not_json_is_refused_without_echoing_it():
    with pytest.raises(DecodeError) as raised:
        decode(f'{{"type": "{NAME}", '.encode())

    assert "not JSON" in fields_and_reasons(raised.value)["value"]
    assert "Siti" not in str(raised.value)


@pytest.mark.parametrize(
    "path",
    [
        ("time",),
        ("data", "identified_at"),
        ("data", "opened_at"),
        ("data", "situation", "sexual_violence_at"),
    ],
    ids=".".join,
)
def test_a_year_one_timestamp_with_an_offset_decodes_or_is_refused(path):
    event = example("org.lindung.case.opened.v1")
    parent = event
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = YEAR_ONE

    outcome = decode_or_decode_error(json.dumps(event).encode())

    if not isinstance(outcome, DecodeError):
        assert outcome.type == "org.lindung.case.opened.v1"


def test_a_value_just_under_one_mebibyte_with_an_unknown_type_is_refused():
    padding = "x" * (1_048_576 - 100)
    value = json.dumps({"type": "org.example.unknown.v1", "data": {"pad": padding}}).encode()
    assert 1_048_476 < len(value) < 1_048_576

    with pytest.raises(DecodeError) as raised:
        decode(value)

    assert fields_and_reasons(raised.value) == {"type": "unknown event type"}


@pytest.mark.parametrize(
    ("value", "headers"),
    [
        pytest.param(b"\x00" * 64, None, id="nul-bytes"),
        pytest.param(b"NaN", None, id="nan"),
        pytest.param(b'{"type": null}', None, id="null-type"),
        pytest.param(b'{"type": ["org.lindung.case.opened.v1"]}', None, id="list-type"),
        pytest.param(b'{"type": "org.lindung.case.opened.v1", "data": null}', None, id="null-data"),
        pytest.param(b'{"type": "org.lindung.case.opened.v1", "data": "x"}', None, id="str-data"),
        pytest.param(b"{}", [("ce_type", b"\xff\xfe")], id="header-not-utf8"),
        pytest.param(b"{}", [("CE_TYPE", None)], id="null-header-upper-case"),
        pytest.param(b"\xef\xbb\xbf{}", None, id="byte-order-mark"),
        pytest.param(b'"\\ud800"', None, id="lone-surrogate"),
        pytest.param(
            b'{"type": "org.lindung.case.opened.v1", "data": {"age": ' + b"1" * 5000 + b"}}",
            None,
            id="integer-of-5000-digits",
        ),
    ],
)
def test_poison_ends_in_decode_error_only(value, headers):
    assert isinstance(decode_or_decode_error(value, headers), DecodeError)


# An event from outside Lindung: only what CloudEvents requires


RECEIVED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def required_only(event_id: str = "pdrm-kl-report-0001") -> tuple[bytes, list[tuple[str, bytes]]]:
    """An agency's report in binary mode with the four required attributes and no more."""
    document = example(IdentificationReported.event_type)
    value = json.dumps(document["data"]).encode()
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", event_id.encode()),
        ("ce_source", b"/agencies/pdrm-kl"),
        ("ce_type", IdentificationReported.event_type.encode()),
    ]
    return value, headers


def test_an_outside_event_is_completed_from_what_it_says():
    value, headers = required_only()
    data = json.loads(value)

    envelope = decode(value, headers, received_at=RECEIVED)

    assert isinstance(envelope.data, IdentificationReported)
    assert envelope.time == RECEIVED
    assert envelope.partitionkey == data["agency_id"]
    assert envelope.subject == data["agency_reference"]
    assert envelope.dataschema == f"urn:lindung:schema:{IdentificationReported.event_type}"


def test_an_outside_id_that_is_no_uuid_keeps_one_uuid_per_source_and_id():
    first = decode(*required_only("report-7"), received_at=RECEIVED)
    again = decode(*required_only("report-7"), received_at=RECEIVED)
    other = decode(*required_only("report-8"), received_at=RECEIVED)

    assert first.id == again.id != other.id


def test_attributes_that_are_present_are_kept_as_sent():
    value, headers = required_only()
    sent = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
    headers.append(("ce_time", sent.isoformat().encode()))

    assert decode(value, headers, received_at=RECEIVED).time == sent


def test_lindung_s_own_consumers_still_require_every_attribute():
    with pytest.raises(DecodeError) as caught:
        decode(*required_only())

    assert {"time", "subject", "dataschema", "partitionkey"} <= fields_and_reasons(
        caught.value
    ).keys()


def test_bad_data_in_an_outside_event_is_named_not_hidden_by_the_completion():
    value, headers = required_only()
    data = json.loads(value)
    data["identification"]["child"]["age_years"] = 40

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(data).encode(), headers, received_at=RECEIVED)

    fields = fields_and_reasons(caught.value)
    assert any(f.startswith("data.identification.child") for f in fields), fields


def test_consent_to_a_category_must_say_who_gave_it():
    document = example(IdentificationReported.event_type)
    document["data"]["identification"]["consent"] = {"categories": ["shelter"]}

    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(document).encode())

    reasons = fields_and_reasons(caught.value)
    assert "given_by is required" in reasons["data.identification.consent"]


def test_an_agency_s_identification_goes_to_its_own_topic_and_the_name_parses_back():
    topic = AGENCY_IDENTIFICATIONS.for_agency("pdrm-kl")

    assert topic.name == "lindung.agency.pdrm-kl.identifications.v1"
    assert agency_of_topic(topic.name) == "pdrm-kl"
    assert agency_of_topic(IDENTIFICATION_REJECTIONS.for_agency("jtk-johor").name) == "jtk-johor"
    assert agency_of_topic("lindung.cases.v1") is None
    assert agency_of_topic("lindung.agency.Not A Slug.identifications.v1") is None
    with pytest.raises(ValueError, match="not an agency id"):
        AGENCY_IDENTIFICATIONS.for_agency("pdrm.kl")
