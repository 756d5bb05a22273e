"""What a failure means for the record being handled, decided in one place.

Every consumer, the outbox relay and the timers ask `classify` what to do with an
exception:

- TRANSIENT: the world failed, not the record (database or broker unreachable, too many
  connections, failover, a timeout, a deadlock). Retry with capped backoff for as long
  as it lasts, holding the partition; never dead-letter, never skip.
- DETERMINISTIC: the record itself is at fault (not decodable, invalid, refused by the
  domain, data the database refuses). Dead-letter it at once and go on.
- UNKNOWN: anything else. Retried a bounded number of times, then treated as
  DETERMINISTIC; never a reason for a consumer to die.

Reasons are plain words that never echo input values: exception messages can carry
them (an asyncpg `DataError` quotes the value it refused), so only exception class
names, SQLSTATE codes and our own field errors are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import asyncpg
from aiokafka import errors as kafka_errors
from lindung_contracts import DecodeError, FieldError, field_errors
from pydantic import ValidationError

__all__ = ["Failure", "FailureClass", "RecordRefused", "classify"]


class FailureClass(StrEnum):
    """How a failure is handled."""

    TRANSIENT = "transient"
    DETERMINISTIC = "deterministic"
    UNKNOWN = "unknown"


class RecordRefused(Exception):
    """The domain refuses this record for good; `errors` says each field and why."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Failure:
    """A classified failure: its class, the reason in plain words, and field errors."""

    kind: FailureClass
    reason: str
    errors: tuple[FieldError, ...] = ()

    @property
    def transient(self) -> bool:
        """Whether retrying later can succeed with the same record."""
        return self.kind is FailureClass.TRANSIENT


# SQLSTATE classes and codes that describe the server or the connection, not the data.
# A missing table or a revoked grant (classes 42, 3F, 28) is fixed by an operator, after
# which the same records go through: holding them beats dead-lettering every one.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58", "28", "3D", "3F", "42")
_TRANSIENT_SQLSTATES = frozenset(
    {
        "25006",  # read_only_sql_transaction: a failover left us on a standby
        "55P03",  # lock_not_available
        "55006",  # object_in_use
        "0A000",  # feature_not_supported: raised by a standby for some statements
    }
)
# Data the database refuses for what it is: the record will fail every time.
_DETERMINISTIC_SQLSTATE_CLASSES = ("22", "23")
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$|^\d{1,6}$|^<key>$")


def classify(exc: BaseException) -> Failure:  # noqa: PLR0911 - one return per class: a table
    """The class of `exc` and a reason that carries no input values."""
    name = type(exc).__name__
    if isinstance(exc, DecodeError):
        errors = tuple(exc.errors)  # already formatted by the codec, input-free
        return Failure(FailureClass.DETERMINISTIC, _joined("not decodable", errors), errors)
    if isinstance(exc, ValidationError):
        errors = tuple(field_errors(exc))
        return Failure(FailureClass.DETERMINISTIC, _joined("invalid", errors), errors)
    if isinstance(exc, RecordRefused):
        errors = tuple(_scrub(e) for e in exc.errors)
        return Failure(FailureClass.DETERMINISTIC, _joined("refused", errors), errors)
    if isinstance(exc, asyncpg.PostgresError):
        return _classify_postgres(exc, name)
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.InternalClientError):
        # The client's view of a lost or reset connection ("connection is closed").
        return Failure(FailureClass.TRANSIENT, f"database connection lost ({name})")
    if isinstance(exc, kafka_errors.KafkaError):
        if getattr(exc, "retriable", False) or isinstance(
            exc, kafka_errors.KafkaConnectionError | kafka_errors.KafkaTimeoutError
        ):
            return Failure(FailureClass.TRANSIENT, f"Kafka unavailable ({name})")
        return Failure(FailureClass.UNKNOWN, f"Kafka refused ({name})")
    if isinstance(exc, TimeoutError | ConnectionError | OSError):
        return Failure(FailureClass.TRANSIENT, f"connection failed or timed out ({name})")
    if isinstance(exc, RecursionError):
        return Failure(FailureClass.DETERMINISTIC, "nested too deeply to process")
    return Failure(FailureClass.UNKNOWN, f"handler failed ({name})")


def _classify_postgres(exc: asyncpg.PostgresError, name: str) -> Failure:
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    if sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith(_TRANSIENT_SQLSTATE_CLASSES):
        return Failure(FailureClass.TRANSIENT, f"database unavailable ({name}, {sqlstate})")
    if sqlstate.startswith(_DETERMINISTIC_SQLSTATE_CLASSES):
        return Failure(
            FailureClass.DETERMINISTIC, f"the database refused the data ({name}, {sqlstate})"
        )
    return Failure(FailureClass.UNKNOWN, f"database error ({name}, {sqlstate or 'no SQLSTATE'})")


def _scrub(error: FieldError) -> FieldError:
    """A refusal names fields by our own paths; a part that is not one came from input."""
    parts = [p if _PLAIN_FIELD.match(p) else "<key>" for p in error.field.split(".")]
    return FieldError(field=".".join(parts), reason=error.reason)


def _joined(what: str, errors: tuple[FieldError, ...]) -> str:
    if not errors:
        return what
    return f"{what}: " + "; ".join(f"{e.field}: {e.reason}" for e in errors)
