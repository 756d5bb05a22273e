"""`classify`: what a failure means for the record, in words that never echo the input."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest
from aiokafka import errors as kafka_errors
from asyncpg import exceptions as pg
from lindung_common import FailureClass, RecordRefused, classify
from lindung_common.outbox import EventTooLarge
from lindung_contracts import (
    CaseOpened,
    DecodeError,
    FieldError,
    ReferralAccepted,
    ServiceType,
    decode,
)
from lindung_contracts import field_errors as safe_field_errors
from lindung_contracts.generate import CONTRACTS_DIR
from pydantic import ValidationError

NAME = "Siti Aminah binti Ali"  # what must never reach a reason, a log or a topic
NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def accepted(**changes: object) -> dict[str, object]:
    """A valid `ReferralAccepted` as a document, with `changes` applied."""
    document: dict[str, object] = {
        "referral_id": str(uuid.uuid4()),
        "case_id": str(uuid.uuid4()),
        "provider_id": "shelter-kl-1",
        "service": ServiceType.SAFE_SHELTER.value,
        "at": NOW.isoformat(),
    }
    return {**document, **changes}


def validation_error(model: type, document: dict[str, object]) -> ValidationError:
    try:
        model.model_validate(document)
    except ValidationError as exc:
        return exc
    raise AssertionError("the document was valid")


def decode_error(value: bytes) -> DecodeError:
    try:
        decode(value)
    except DecodeError as exc:
        return exc
    raise AssertionError("the record decoded")


def case_opened_with(**data_changes: object) -> bytes:
    event = json.loads((CONTRACTS_DIR / "examples" / "org.lindung.case.opened.v1.json").read_text())
    event["data"].update(data_changes)
    return json.dumps(event).encode()


def year_one_overflow() -> OverflowError:
    try:
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))).astimezone(UTC)
    except OverflowError as exc:
        return exc
    raise AssertionError("no overflow")


def everything_said(failure) -> str:
    return " ".join([failure.reason, *(f"{e.field} {e.reason}" for e in failure.errors)])


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(pg.TooManyConnectionsError("sorry, too many clients"), id="too-many-conns"),
        pytest.param(pg.AdminShutdownError("terminating connection"), id="admin-shutdown"),
        pytest.param(pg.CannotConnectNowError("the database system is starting up"), id="start"),
        pytest.param(pg.ReadOnlySQLTransactionError("read-only transaction"), id="failover"),
        pytest.param(pg.SerializationError("could not serialize access"), id="serialization"),
        pytest.param(pg.DeadlockDetectedError("deadlock detected"), id="deadlock"),
        pytest.param(
            pg.QueryCanceledError("canceling statement due to statement timeout"),
            id="statement-timeout",
        ),
        pytest.param(pg.ConnectionDoesNotExistError("connection was closed"), id="conn-gone"),
        pytest.param(pg.UndefinedTableError('relation "outbox" does not exist'), id="no-table"),
        pytest.param(pg.InsufficientPrivilegeError("permission denied"), id="grant-revoked"),
        pytest.param(asyncpg.InterfaceError("connection is closed"), id="client-conn-closed"),
        pytest.param(ConnectionRefusedError(111, "Connection refused"), id="refused"),
        pytest.param(TimeoutError(), id="timeout"),
        pytest.param(OSError(101, "Network is unreachable"), id="os-error"),
        pytest.param(kafka_errors.KafkaConnectionError("no broker"), id="kafka-connection"),
        pytest.param(kafka_errors.KafkaTimeoutError(), id="kafka-timeout"),
        pytest.param(kafka_errors.RequestTimedOutError(), id="kafka-request-timed-out"),
        pytest.param(kafka_errors.NotLeaderForPartitionError(), id="kafka-not-leader"),
    ],
)
def test_a_failure_of_the_world_is_transient_and_retried(exc):
    failure = classify(exc)

    assert failure.kind is FailureClass.TRANSIENT
    assert failure.transient
    assert type(exc).__name__ in failure.reason


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(decode_error(b"{not json"), id="not-json"),
        pytest.param(decode_error(b'{"type": "org.example.unknown.v1"}'), id="unknown-type"),
        pytest.param(validation_error(ReferralAccepted, accepted(at="yesterday")), id="invalid"),
        pytest.param(RecordRefused([FieldError(field="age", reason="too old")]), id="refused"),
        pytest.param(EventTooLarge([FieldError(field="event", reason="too big")]), id="too-big"),
        pytest.param(pg.NumericValueOutOfRangeError("integer out of range"), id="out-of-range"),
        pytest.param(
            pg.InvalidTextRepresentationError(f'invalid input syntax: "{NAME}"'), id="invalid-text"
        ),
        pytest.param(pg.DataError(f'invalid input syntax for type uuid: "{NAME}"'), id="data"),
        pytest.param(pg.UniqueViolationError("duplicate key value"), id="unique-violation"),
        pytest.param(RecursionError("maximum recursion depth exceeded"), id="too-deep"),
    ],
)
def test_a_record_at_fault_is_deterministic_and_dead_lettered(exc):
    failure = classify(exc)

    assert failure.kind is FailureClass.DETERMINISTIC
    assert not failure.transient


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(ValueError(NAME), id="value-error"),
        pytest.param(year_one_overflow(), id="overflow"),
        pytest.param(KeyError(NAME), id="key-error"),
        pytest.param(ZeroDivisionError("division by zero"), id="zero-division"),
        pytest.param(kafka_errors.KafkaError(NAME), id="kafka-error"),
        pytest.param(kafka_errors.TopicAuthorizationFailedError(), id="kafka-not-authorized"),
    ],
)
def test_anything_else_is_unknown_and_tried_a_few_times(exc):
    failure = classify(exc)

    assert failure.kind is FailureClass.UNKNOWN
    assert not failure.transient
    assert type(exc).__name__ in failure.reason


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(pg.DataError(f'invalid input syntax for type uuid: "{NAME}"'), id="data"),
        pytest.param(pg.InvalidTextRepresentationError(f'invalid input: "{NAME}"'), id="text"),
        pytest.param(pg.UniqueViolationError(f"Key (name)=({NAME}) already exists"), id="unique"),
        pytest.param(pg.CheckViolationError(f"failing row contains ({NAME})"), id="check"),
        pytest.param(pg.PostgresError(f"no SQLSTATE: {NAME}"), id="postgres-no-sqlstate"),
        pytest.param(pg.TooManyConnectionsError(f"too many for role {NAME}"), id="pg-transient"),
        pytest.param(asyncpg.InterfaceError(f"cannot encode {NAME}"), id="interface"),
        pytest.param(kafka_errors.KafkaError(NAME), id="kafka"),
        pytest.param(kafka_errors.KafkaConnectionError(NAME), id="kafka-connection"),
        pytest.param(OSError(f"no such file: {NAME}"), id="os-error"),
        pytest.param(ValueError(f"bad name {NAME}"), id="value-error"),
        pytest.param(KeyError(NAME), id="key-error"),
        pytest.param(RecursionError(NAME), id="recursion"),
    ],
)
def test_no_reason_repeats_an_exception_message_that_holds_input(exc):
    said = everything_said(classify(exc))

    assert "Siti" not in said
    assert str(exc) not in said


def test_field_errors_of_an_invalid_payload_name_the_field_without_its_value():
    failure = classify(validation_error(ReferralAccepted, accepted(case_id=NAME)))

    assert [e.field for e in failure.errors] == ["case_id"]
    assert failure.reason.startswith("invalid: case_id: ")
    assert "Siti" not in everything_said(failure)


def test_an_extra_field_named_by_input_is_scrubbed_to_key():
    failure = classify(validation_error(ReferralAccepted, accepted(**{NAME: "x"})))

    assert [e.field for e in failure.errors] == ["<key>"]
    assert "Siti" not in everything_said(failure)


def test_an_extra_field_named_like_an_identifier_is_scrubbed_too():
    # A key the model does not declare came from the sender: `AyeAyeMon` is a name.
    failure = classify(validation_error(ReferralAccepted, accepted(AyeAyeMon="x")))

    assert [e.field for e in failure.errors] == ["<key>"]
    assert failure.reason == "invalid: <key>: Extra inputs are not permitted"
    assert "AyeAyeMon" not in everything_said(failure)


def test_a_nested_extra_field_keeps_the_path_and_scrubs_only_the_key():
    document = json.loads(case_opened_with())["data"]
    document["child"] = {**document["child"], NAME: 1}

    errors = safe_field_errors(validation_error(CaseOpened, document))

    assert [e.field for e in errors] == ["child.<key>"]


def test_an_undecodable_record_with_a_name_for_a_key_is_scrubbed_too():
    failure = classify(decode_error(case_opened_with(**{NAME: "x"})))

    assert failure.kind is FailureClass.DETERMINISTIC
    assert [e.field for e in failure.errors] == ["data.<key>"]
    assert "Siti" not in everything_said(failure)


def test_an_extra_field_whose_name_holds_a_dot_is_scrubbed_whole():
    failure = classify(validation_error(ReferralAccepted, accepted(**{"Siti.Aminah binti Ali": 1})))

    assert "Siti" not in everything_said(failure)


def test_a_refusal_by_the_domain_says_each_field_and_why():
    refused = RecordRefused(
        [
            FieldError(field="child.age_years", reason="a child is under 18"),
            FieldError(field=NAME, reason="not a field"),
        ]
    )

    failure = classify(refused)

    assert failure.reason == "refused: child.age_years: a child is under 18; <key>: not a field"
