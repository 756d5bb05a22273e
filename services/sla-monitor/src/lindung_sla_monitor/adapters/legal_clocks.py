"""Cases' milestones and legal clocks in PostgreSQL, and the policy file that chains them.

Every query takes a connection inside the caller's unit of work.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lindung_common import ConfigError
from lindung_contracts import LegalClockState, MilestoneKind
from pydantic import ValidationError

from lindung_sla_monitor.domain.legal_clocks import (
    LegalClock,
    LegalClockPolicy,
    Milestone,
)

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import CaseMilestoneRecorded

__all__ = [
    "DEFAULT_POLICY",
    "case_clocks",
    "case_milestones",
    "insert_milestone",
    "load_policy",
    "lock_due_clocks",
    "mark_missed",
    "next_clock_due",
    "save_clocks",
]

DEFAULT_POLICY = Path(__file__).parent.parent / "policy" / "legal_clocks.toml"
_COLUMNS = "case_id, clock, started_by, started_at, stopped_by, due_at, source, state, stopped_at"


def load_policy(path: Path | None) -> LegalClockPolicy:
    """The legal clocks' policy file (the packaged one when None); a bad one stops the start."""
    path = path or DEFAULT_POLICY
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"legal clocks file {path}: cannot be read ({exc})") from None
    try:
        return LegalClockPolicy.model_validate(document)
    except ValidationError as exc:
        faults = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"legal clocks file {path} is invalid: {faults}") from None


async def case_milestones(
    conn: asyncpg.Connection, case_id: UUID
) -> dict[MilestoneKind, Milestone]:
    """The milestones recorded of a case, by kind."""
    rows = await conn.fetch(
        "SELECT kind, at, court_date FROM case_milestones WHERE case_id = $1", case_id
    )
    return {
        MilestoneKind(r["kind"]): Milestone(MilestoneKind(r["kind"]), r["at"], r["court_date"])
        for r in rows
    }


async def insert_milestone(conn: asyncpg.Connection, fact: CaseMilestoneRecorded) -> bool:
    """Keep a milestone unless its kind is known for the case; whether it was kept."""
    status = await conn.execute(
        "INSERT INTO case_milestones (case_id, kind, at, court_date, milestone_id,"
        " coordinator_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT DO NOTHING",
        fact.case_id,
        fact.kind.value,
        fact.at,
        fact.court_date,
        fact.milestone_id,
        fact.coordinator_id,
        fact.recorded_at,
    )
    return bool(status == "INSERT 0 1")


def _clock(row: Any) -> LegalClock:
    return LegalClock(
        case_id=row["case_id"],
        clock=row["clock"],
        started_by=MilestoneKind(row["started_by"]),
        started_at=row["started_at"],
        stopped_by=MilestoneKind(row["stopped_by"]),
        due_at=row["due_at"],
        source=row["source"],
        state=LegalClockState(row["state"]),
        stopped_at=row["stopped_at"],
    )


async def case_clocks(conn: asyncpg.Connection, case_id: UUID) -> dict[str, LegalClock]:
    """A case's clocks, locked (the scheduler skips them meanwhile), by clock id."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM legal_clocks WHERE case_id = $1 ORDER BY clock FOR UPDATE",  # noqa: S608 - fixed columns
        case_id,
    )
    return {row["clock"]: _clock(row) for row in rows}


async def save_clocks(
    conn: asyncpg.Connection,
    started: list[LegalClock],
    stopped: list[LegalClock],
    announce: tuple[str, str] | None,
) -> None:
    """Store started clocks, the stops of running or missed ones, and NOTIFY at commit."""
    if started:
        await conn.executemany(
            f"INSERT INTO legal_clocks ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"  # noqa: S608 - fixed columns
            " ON CONFLICT DO NOTHING",
            [_values(c) for c in started],
        )
    if stopped:
        await conn.executemany(
            "UPDATE legal_clocks SET state = $3, stopped_at = $4"
            " WHERE case_id = $1 AND clock = $2 AND stopped_at IS NULL",
            [(c.case_id, c.clock, c.state.value, c.stopped_at) for c in stopped],
        )
    if announce is not None:
        await conn.execute("SELECT pg_notify($1, $2)", *announce)


def _values(clock: LegalClock) -> tuple[Any, ...]:
    return (
        clock.case_id,
        clock.clock,
        clock.started_by.value,
        clock.started_at,
        clock.stopped_by.value,
        clock.due_at,
        clock.source,
        clock.state.value,
        clock.stopped_at,
    )


async def lock_due_clocks(conn: asyncpg.Connection, now: datetime, limit: int) -> list[LegalClock]:
    """Running clocks due by `now` that no one else holds, earliest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM legal_clocks WHERE state = 'running' AND due_at <= $1"  # noqa: S608 - fixed columns
        " ORDER BY due_at, case_id, clock LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [_clock(row) for row in rows]


async def mark_missed(
    conn: asyncpg.Connection, missed: list[tuple[LegalClock, UUID]], now: datetime
) -> None:
    """Record each clock's alert: missed, with the one event id it can have."""
    await conn.executemany(
        "UPDATE legal_clocks SET state = 'missed', event_id = $3, fired_at = $4"
        " WHERE case_id = $1 AND clock = $2 AND state = 'running'",
        [(c.case_id, c.clock, event_id, now) for c, event_id in missed],
    )


async def next_clock_due(conn: asyncpg.Connection) -> datetime | None:
    """When the next running clock runs out."""
    due: datetime | None = await conn.fetchval(
        "SELECT due_at FROM legal_clocks WHERE state = 'running' ORDER BY due_at LIMIT 1"
    )
    return due


async def clocks_of_case(conn: asyncpg.Connection, case_id: UUID) -> list[LegalClock]:
    """A case's clocks, earliest due first (for reading; nothing locked)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM legal_clocks WHERE case_id = $1 ORDER BY due_at, clock",  # noqa: S608 - fixed columns
        case_id,
    )
    return [_clock(row) for row in rows]
