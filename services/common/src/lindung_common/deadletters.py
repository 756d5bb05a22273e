"""Dead letters people can act on: stored whole for replay, announced without the bytes' risk.

A record a consumer sets aside is kept in the service's `dead_letters` table (every byte,
so it can be replayed after a fix) and announced by an event through the outbox: the
reason in plain words, the original value only up to a size limit (else its size and
SHA-256), the position it was read from, and the agency where the key or data says
which. The announcement is `EventDeadLettered` unless the consumer says otherwise (the
agency door announces `IdentificationRejected`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lindung_contracts import EventDeadLettered, agency_of_topic

if TYPE_CHECKING:
    from datetime import datetime

    import asyncpg
    from lindung_contracts import Envelope

    from .events import Events
    from .failures import Failure
    from .records import Record

__all__ = [
    "Announce",
    "DeadLetter",
    "agency_of",
    "announce_dead_letter",
    "dead_letter_id",
    "original_identity",
    "store_dead_letter",
]

_AGENCY = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Looking for an agency id inside a refused value is a courtesy: never parse a huge one.
_AGENCY_SCAN_LIMIT = 1_048_576


@dataclass(frozen=True)
class DeadLetter:
    """One record set aside by one consumer, and why."""

    consumer: str
    record: Record
    failure: Failure
    at: datetime
    event_id: uuid.UUID
    agency_id: str | None


class Announce(Protocol):
    """Builds the event that tells people about a dead letter."""

    def __call__(self, letter: DeadLetter, events: Events) -> Envelope[Any]:
        """The event announcing `letter`."""
        ...


def dead_letter_id(consumer: str, record: Record, times: int) -> uuid.UUID:
    """Follows from the record's position, so a record read again is announced once."""
    position = f"{consumer}:{record.topic}/{record.partition}/{record.offset}"
    suffix = "" if times == 1 else f"#{times}"
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:lindung:dead-letter:{position}{suffix}")


def agency_of(record: Record) -> str | None:
    """The agency a record is from: the owner of its topic, else what `data.agency_id` says.

    On an agency's own topic the topic decides, whatever the record says: only that
    agency may write there, so its refusals go back to it and to nobody else.
    """
    owner = agency_of_topic(record.topic)
    if owner is not None:
        return owner
    if record.value is None or len(record.value) > _AGENCY_SCAN_LIMIT:
        return None
    try:
        document = json.loads(record.value)
    except (ValueError, RecursionError):
        return None
    data = document.get("data") if isinstance(document, dict) else None
    agency = data.get("agency_id") if isinstance(data, dict) else None
    if isinstance(agency, str) and _AGENCY.match(agency):
        return agency
    return None


def original_identity(letter: DeadLetter) -> dict[str, Any]:
    """How an announcement identifies the record: its size and SHA-256, never its bytes.

    A record that could not be processed may hold anything, a child's name included (an
    agency's mistake is exactly when it would). Announcements go to topics others read;
    the bytes stay in the consumer's own `dead_letters` table, for replay.
    """
    value = letter.record.value or b""
    return {
        "original_key_b64": None,
        "original_value_b64": "",
        "original_size": len(value),
        "original_sha256": hashlib.sha256(value).hexdigest(),
    }


def announce_dead_letter(letter: DeadLetter, events: Events) -> Envelope[Any]:
    """The default announcement: `EventDeadLettered` on the dead-letter topic."""
    record = letter.record
    payload = EventDeadLettered(
        consumer=letter.consumer,
        reason=letter.failure.reason[:2000],
        original_topic=record.topic,
        original_partition=record.partition,
        original_offset=record.offset,
        dead_lettered_at=letter.at,
        agency_id=letter.agency_id,
        failure_class=letter.failure.kind.value,
        **original_identity(letter),
    )
    return events.wrap(payload, event_id=letter.event_id, time=letter.at)


async def store_dead_letter(
    conn: asyncpg.Connection,
    consumer: str,
    record: Record,
    failure: Failure,
    *,
    at: datetime,
    replaying: bool,
) -> int | None:
    """Keep the record whole; the how-many-th time it was set aside, or None if already kept.

    A record read again (a redelivery after a crash) is already kept and is not announced
    again. A record that fails again while being replayed counts once more.
    """
    value = record.value or b""
    headers = [[name, base64.b64encode(v).decode() if v is not None else None]
               for name, v in record.headers]  # fmt: skip
    conflict = (
        "DO UPDATE SET times = dead_letters.times + 1, last_at = EXCLUDED.last_at,"
        " reason = EXCLUDED.reason, failure_class = EXCLUDED.failure_class,"
        " event_id = EXCLUDED.event_id"
        if replaying
        else "DO NOTHING"
    )
    # `conflict` is one of the two constants above, never input.
    times: int | None = await conn.fetchval(
        'INSERT INTO dead_letters (consumer, topic, partition, "offset", event_id, key, value,'  # noqa: S608
        " headers, value_size, value_sha256, failure_class, reason, agency_id, first_at, last_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $14)"
        f' ON CONFLICT (consumer, topic, partition, "offset") {conflict} RETURNING times',
        consumer,
        record.topic,
        record.partition,
        record.offset,
        # Replaced below once the count is known (the id names the count).
        dead_letter_id(consumer, record, 1) if not replaying else uuid.uuid4(),
        record.key,
        value,
        json.dumps(headers),
        len(value),
        hashlib.sha256(value).hexdigest(),
        failure.kind.value,
        failure.reason.replace("\x00", "")[:2000],
        agency_of(record),
        at,
    )
    if times is not None and replaying:
        await conn.execute(
            "UPDATE dead_letters SET event_id = $5"
            ' WHERE consumer = $1 AND topic = $2 AND partition = $3 AND "offset" = $4',
            consumer,
            record.topic,
            record.partition,
            record.offset,
            dead_letter_id(consumer, record, times),
        )
    return times
