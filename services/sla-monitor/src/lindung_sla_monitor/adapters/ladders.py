"""Queries on the ladders' steps: store a referral's ladder, mark a step fired, find one.

Every function runs inside the caller's unit of work; a step is marked fired in the same
transaction as the event it raised goes into the outbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_contracts import RecipientRole, ServiceType, StepKind

from lindung_sla_monitor.domain import Deadline, Step, StepState

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg

__all__ = [
    "deadline_and_step",
    "fired_by",
    "insert_ladders",
    "lock_pending_escalation",
    "mark_fired",
]


async def insert_ladders(
    conn: asyncpg.Connection,
    ladders: list[tuple[UUID, list[tuple[Step, StepState, str | None]]]],
    settled_at: datetime,
) -> None:
    """Store the ladders of several referrals in one statement; stored steps are kept."""
    rows = [
        (referral_id, step, state, note)
        for referral_id, steps in ladders
        for step, state, note in steps
    ]
    if not rows:
        return
    await conn.execute(
        "INSERT INTO deadline_steps (referral_id, step_no, kind, level, percent_of_window, at,"
        " notify, state, settled_at, note)"
        " SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::int[],"
        " $6::timestamptz[], $7::text[], $8::text[], $9::timestamptz[], $10::text[])"
        " ON CONFLICT (referral_id, step_no) DO NOTHING",
        [r for r, _, _, _ in rows],
        [step.step_no for _, step, _, _ in rows],
        [step.kind.value for _, step, _, _ in rows],
        [step.level for _, step, _, _ in rows],
        [step.percent_of_window for _, step, _, _ in rows],
        [step.at for _, step, _, _ in rows],
        [step.notify.value for _, step, _, _ in rows],
        [state.value for _, _, state, _ in rows],
        [None if state is StepState.PENDING else settled_at for _, _, state, _ in rows],
        [note for _, _, _, note in rows],
    )


def deadline_and_step(row: asyncpg.Record) -> tuple[Deadline, Step]:
    """A row of a step joined with its deadline, as the domain's values."""
    return (
        Deadline(
            referral_id=row["referral_id"],
            case_id=row["case_id"],
            provider_id=row["provider_id"],
            service=ServiceType(row["service"]),
            requested_at=row["requested_at"],
            due_at=row["due_at"],
        ),
        Step(
            step_no=row["step_no"],
            kind=StepKind(row["kind"]),
            level=row["level"],
            percent_of_window=row["percent_of_window"],
            at=row["at"],
            notify=RecipientRole(row["notify"]),
        ),
    )


async def fired_by(conn: asyncpg.Connection, event_id: UUID) -> tuple[UUID, str, int] | None:
    """The step that raised this event: its referral, kind and level."""
    row = await conn.fetchrow(
        "SELECT referral_id, kind, level FROM deadline_steps WHERE event_id = $1", event_id
    )
    return (row["referral_id"], row["kind"], row["level"]) if row else None


async def lock_pending_escalation(
    conn: asyncpg.Connection, referral_id: UUID, level: int | None
) -> tuple[Deadline, Step] | None:
    """A referral's escalation at `level` (None: its lowest) still pending on an open deadline.

    Locked until the transaction ends.
    """
    row = await conn.fetchrow(
        "SELECT s.step_no, s.kind, s.level, s.percent_of_window, s.at, s.notify,"
        " d.referral_id, d.case_id, d.provider_id, d.service, d.requested_at, d.due_at"
        " FROM deadline_steps s JOIN deadlines d ON d.referral_id = s.referral_id"
        " WHERE s.referral_id = $1 AND s.kind = 'escalation'"
        " AND ($2::int IS NULL OR s.level = $2) AND s.state = 'pending' AND d.status = 'open'"
        " ORDER BY s.level, s.step_no LIMIT 1 FOR UPDATE OF s",
        referral_id,
        level,
    )
    if row is None:
        return None
    return deadline_and_step(row)


async def mark_fired(
    conn: asyncpg.Connection, fired: list[tuple[UUID, int, UUID]], now: datetime
) -> None:
    """Record that each (referral, step) raised its event."""
    await conn.executemany(
        "UPDATE deadline_steps SET state = 'fired', settled_at = $4, event_id = $3"
        " WHERE referral_id = $1 AND step_no = $2 AND state = 'pending'",
        [(referral_id, step_no, event_id, now) for referral_id, step_no, event_id in fired],
    )
