"""The transactional outbox: events are written with the state change, relayed after commit.

`add_to_outbox` is called inside the transaction of the change; it refuses an event the
broker could never take (too large) right there, so the caller's failure handling sees
it, not the relay (`relay.py`), which sends committed rows to Kafka.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import Envelope, FieldError, encode

from .failures import RecordRefused
from .settings import DEFAULT_MAX_EVENT_BYTES

if TYPE_CHECKING:
    import asyncpg

__all__ = ["EventTooLarge", "Row", "add_to_outbox", "insert_rows", "outbox_rows"]

log = structlog.get_logger(__name__)

_INSERT = """
INSERT INTO outbox (event_id, event_type, topic, key, value, headers)
SELECT u.event_id, u.event_type, u.topic, u.key, u.value, u.headers::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::text[])
    AS u(event_id, event_type, topic, key, value, headers)
ON CONFLICT (event_id) DO NOTHING
"""


class EventTooLarge(RecordRefused):
    """An event is larger than the broker takes; refused when written, never relayed."""


Row = tuple[Any, str, str, bytes, bytes, str]


def outbox_rows(
    envelopes: tuple[Envelope[Any], ...] | list[Envelope[Any]],
    *,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> list[Row]:
    """Encode events for the outbox; raises `EventTooLarge` for one the broker would refuse."""
    rows: list[Row] = []
    for envelope in envelopes:
        record = encode(envelope)
        headers = [[name, value.decode()] for name, value in record.headers]
        size = len(record.value) + len(record.key) + sum(len(n) + len(v) for n, v in headers)
        if size > max_event_bytes:
            reason = f"{envelope.type} would be {size} bytes; the limit is {max_event_bytes}"
            raise EventTooLarge([FieldError(field="event", reason=reason)])
        rows.append(
            (
                envelope.id,
                envelope.type,
                record.topic,
                record.key,
                record.value,
                json.dumps(headers),
            )
        )
    return rows


async def add_to_outbox(
    conn: asyncpg.Connection,
    *envelopes: Envelope[Any],
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> None:
    """Queue events for publishing; call inside the transaction of the change they describe."""
    await insert_rows(conn, outbox_rows(envelopes, max_event_bytes=max_event_bytes))


async def insert_rows(conn: asyncpg.Connection, rows: list[Row]) -> None:
    """Insert encoded outbox rows in one statement; a repeated event id is ignored."""
    if rows:
        await conn.execute(_INSERT, *(list(column) for column in zip(*rows, strict=True)))
