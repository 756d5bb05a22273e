"""`dead-letters list|replay`: look at a service's dead letters, and replay them after a fix.

A replay hands each waiting dead letter's original record (kept whole in the service's
`dead_letters` table) to the same consume path a live record takes. It is idempotent:
an event already handled is skipped by the consumer's `processed_events`, a dead letter
replayed with success is marked and not replayed again, and one that fails again stays
waiting, counted once more and announced again with its new reason.

    python -m lindung_router dead-letters list [--topic T]
    python -m lindung_router dead-letters replay [--topic T | --id ID] [--consumer C]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .consumers import Outcome
from .records import Record
from .runtime import Runtime

if TYPE_CHECKING:
    from collections.abc import Sequence

    import asyncpg

    from .service import Service

__all__ = ["ReplayReport", "dead_letters_command", "replay_dead_letters"]


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did to one dead letter."""

    dead_letter_id: uuid.UUID
    consumer: str
    position: str
    outcome: Outcome


_SELECT = (
    'SELECT consumer, topic, partition, "offset", event_id, key, value, headers, reason,'
    " failure_class, times, agency_id, first_at, last_at"
    " FROM dead_letters WHERE replayed_at IS NULL"
    " AND ($1::text IS NULL OR topic = $1) AND ($2::uuid IS NULL OR event_id = $2)"
    " AND ($3::text IS NULL OR consumer = $3)"
    ' ORDER BY consumer, topic, partition, "offset"'
)


async def replay_dead_letters(
    runtime: Runtime,
    *,
    topic: str | None = None,
    dead_letter_id: uuid.UUID | None = None,
    consumer: str | None = None,
) -> list[ReplayReport]:
    """Replay waiting dead letters through the consume path; the outcome of each."""
    async with runtime.service.db.pool.acquire() as conn:
        rows = await conn.fetch(_SELECT, topic, dead_letter_id, consumer)
    reports = []
    for row in rows:
        path = runtime.paths.get(row["consumer"])
        if path is None:
            continue  # a consumer this version of the service no longer has
        record = _record(row)
        (outcome,) = await path.handle([record], replaying=True)
        if outcome is not Outcome.DEAD_LETTERED:
            async with runtime.service.db.pool.acquire() as conn:
                await _mark(conn, row, outcome)
        reports.append(ReplayReport(row["event_id"], row["consumer"], record.position, outcome))
    return reports


async def dead_letters_command(service: Service, argv: Sequence[str]) -> int:
    """The command line: `list` or `replay`; returns the exit code."""
    parser = argparse.ArgumentParser(prog=f"python -m lindung_{service.name.replace('-', '_')}")
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="dead letters waiting for a replay")
    listing.add_argument("--topic")
    replay = sub.add_parser("replay", help="replay waiting dead letters through the consumer")
    replay.add_argument("--topic")
    replay.add_argument("--id", type=uuid.UUID, dest="dead_letter_id")
    replay.add_argument("--consumer")
    args = parser.parse_args(list(argv))
    runtime = Runtime(service)
    await runtime.start(relay=False, tasks=False)
    try:
        if args.action == "list":
            async with service.db.pool.acquire() as conn:
                rows = await conn.fetch(_SELECT, args.topic, None, None)
            for row in rows:
                _print(_listing(row))
            return 0
        reports = await replay_dead_letters(
            runtime, topic=args.topic, dead_letter_id=args.dead_letter_id, consumer=args.consumer
        )
        for report in reports:
            _print(
                {
                    "dead_letter_id": str(report.dead_letter_id),
                    "consumer": report.consumer,
                    "position": report.position,
                    "outcome": report.outcome.value,
                }
            )
        failed = sum(r.outcome is Outcome.DEAD_LETTERED for r in reports)
        _print({"replayed": len(reports), "dead_lettered_again": failed})
        return 1 if failed else 0
    finally:
        await runtime.stop()


def _record(row: asyncpg.Record) -> Record:
    headers = tuple(
        (name, base64.b64decode(value) if value is not None else None)
        for name, value in json.loads(row["headers"])
    )
    return Record(
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
        key=bytes(row["key"]) if row["key"] is not None else None,
        value=bytes(row["value"]) if row["value"] is not None else None,
        headers=headers,
    )


async def _mark(conn: asyncpg.Connection, row: asyncpg.Record, outcome: Outcome) -> None:
    await conn.execute(
        "UPDATE dead_letters SET replayed_at = now(), replay_outcome = $5"
        ' WHERE consumer = $1 AND topic = $2 AND partition = $3 AND "offset" = $4',
        row["consumer"],
        row["topic"],
        row["partition"],
        row["offset"],
        "processed" if outcome is Outcome.PROCESSED else "skipped",
    )


def _listing(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "dead_letter_id": str(row["event_id"]),
        "consumer": row["consumer"],
        "position": f"{row['topic']}/{row['partition']}/{row['offset']}",
        "failure_class": row["failure_class"],
        "reason": row["reason"],
        "times": row["times"],
        "agency_id": row["agency_id"],
        "first_at": row["first_at"].isoformat(),
        "last_at": row["last_at"].isoformat(),
    }


def _print(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
