"""Queries on the sla-monitor's tables; every function runs inside the caller's transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lindung_contracts import RecipientRole, ServiceType, StepKind

from lindung_sla_monitor.domain import (
    Deadline,
    DeadlineState,
    DeadlineStatus,
    Step,
    StepState,
)

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import NotificationFailed, ReferralRequested

    from lindung_sla_monitor.domain import CloseReason

__all__ = [
    "close_deadline",
    "deadline_and_step",
    "fill_request",
    "fired_by",
    "insert_closed",
    "insert_facts",
    "insert_failure",
    "insert_ladders",
    "insert_open",
    "insert_open_many",
    "insert_steps",
    "lock_pending_escalation",
    "lock_referral",
    "lock_referrals",
    "mark_fired",
]


async def lock_referral(conn: asyncpg.Connection, referral_id: UUID) -> DeadlineState | None:
    """Serialize every change to one referral for this transaction, then read what is known.

    The advisory lock also covers a referral with no row yet, so a request and a closure
    racing for a new referral cannot both think they came first.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"deadline:{referral_id}")
    row = await conn.fetchrow(
        "SELECT status, requested_at IS NOT NULL AS requested FROM deadlines"
        " WHERE referral_id = $1",
        referral_id,
    )
    if row is None:
        return None
    return DeadlineState(status=DeadlineStatus(row["status"]), requested=row["requested"])


async def lock_referrals(
    conn: asyncpg.Connection, referral_ids: list[UUID]
) -> dict[UUID, DeadlineState]:
    """`lock_referral` for many referrals in two statements; locks taken in a fixed order."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext(k))"
        " FROM (SELECT DISTINCT 'deadline:' || r AS k FROM unnest($1::uuid[]) AS r ORDER BY k) s",
        referral_ids,
    )
    rows = await conn.fetch(
        "SELECT referral_id, status, requested_at IS NOT NULL AS requested FROM deadlines"
        " WHERE referral_id = ANY($1::uuid[])",
        referral_ids,
    )
    return {
        row["referral_id"]: DeadlineState(
            status=DeadlineStatus(row["status"]), requested=row["requested"]
        )
        for row in rows
    }


async def insert_open_many(conn: asyncpg.Connection, deadlines: list[Deadline]) -> None:
    """Start the clocks of several referrals in one statement."""
    if not deadlines:
        return
    await conn.execute(
        "INSERT INTO deadlines (referral_id, case_id, provider_id, service, requested_at, due_at,"
        " status) SELECT *, 'open' FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],"
        " $5::timestamptz[], $6::timestamptz[])",
        [d.referral_id for d in deadlines],
        [d.case_id for d in deadlines],
        [d.provider_id for d in deadlines],
        [d.service.value for d in deadlines],
        [d.requested_at for d in deadlines],
        [d.due_at for d in deadlines],
    )


async def insert_facts(conn: asyncpg.Connection, requests: list[ReferralRequested]) -> None:
    """Keep what reporting needs of each request (agency, state, attempt); first one wins."""
    if not requests:
        return
    await conn.execute(
        "INSERT INTO referral_facts (referral_id, agency_id, state, attempt, urgent)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::bool[])"
        " ON CONFLICT (referral_id) DO NOTHING",
        [r.referral_id for r in requests],
        [r.agency_id for r in requests],
        [None if r.state is None else r.state.value for r in requests],
        [r.attempt for r in requests],
        [r.urgent for r in requests],
    )


async def insert_failure(conn: asyncpg.Connection, failed: NotificationFailed) -> None:
    """Remember a delivery that failed for good (ids and channel only; never its error)."""
    await conn.execute(
        "INSERT INTO delivery_failures (notification_id, case_id, referral_id, cause_type,"
        " recipient, channel, failed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (notification_id) DO NOTHING",
        failed.notification_id,
        failed.case_id,
        failed.referral_id,
        failed.cause_type,
        failed.recipient,
        failed.channel.value,
        failed.failed_at,
    )


async def insert_open(conn: asyncpg.Connection, deadline: Deadline) -> None:
    """Start a referral's clock."""
    await conn.execute(
        "INSERT INTO deadlines (referral_id, case_id, provider_id, service, requested_at, due_at,"
        " status) VALUES ($1, $2, $3, $4, $5, $6, 'open')",
        deadline.referral_id,
        deadline.case_id,
        deadline.provider_id,
        deadline.service.value,
        deadline.requested_at,
        deadline.due_at,
    )


async def fill_request(conn: asyncpg.Connection, deadline: Deadline) -> None:
    """Keep a late request's window on a referral that was closed before it arrived."""
    await conn.execute(
        "UPDATE deadlines SET requested_at = $2, due_at = $3 WHERE referral_id = $1",
        deadline.referral_id,
        deadline.requested_at,
        deadline.due_at,
    )


async def insert_closed(
    conn: asyncpg.Connection,
    *,
    referral_id: UUID,
    case_id: UUID,
    provider_id: str,
    service: ServiceType,
    reason: CloseReason,
    closed_at: datetime,
) -> None:
    """Remember the closure of a referral whose request has not arrived."""
    await conn.execute(
        "INSERT INTO deadlines (referral_id, case_id, provider_id, service, status,"
        " closed_reason, closed_at) VALUES ($1, $2, $3, $4, 'closed', $5, $6)",
        referral_id,
        case_id,
        provider_id,
        service.value,
        reason.value,
        closed_at,
    )


async def close_deadline(
    conn: asyncpg.Connection, referral_id: UUID, reason: CloseReason, closed_at: datetime
) -> int:
    """Stop an open clock and cancel its unfired steps; returns how many were cancelled."""
    await conn.execute(
        "UPDATE deadlines SET status = 'closed', closed_reason = $2, closed_at = $3"
        " WHERE referral_id = $1",
        referral_id,
        reason.value,
        closed_at,
    )
    status = await conn.execute(
        "UPDATE deadline_steps SET state = 'cancelled', settled_at = $2, note = $3"
        " WHERE referral_id = $1 AND state = 'pending'",
        referral_id,
        closed_at,
        f"referral {reason.value}",
    )
    return int(status.split()[-1])


async def insert_steps(
    conn: asyncpg.Connection,
    referral_id: UUID,
    steps: list[tuple[Step, StepState, str | None]],
    settled_at: datetime,
) -> None:
    """Store a referral's ladder; a step already stored is left as it is."""
    await insert_ladders(conn, [(referral_id, steps)], settled_at)


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


async def pause_deadline(conn: asyncpg.Connection, referral_id: UUID, at: datetime) -> bool:
    """Stop an open, running clock at `at`; False when there is none to stop."""
    status = await conn.execute(
        "UPDATE deadlines SET paused_at = $2"
        " WHERE referral_id = $1 AND status = 'open' AND paused_at IS NULL",
        referral_id,
        at,
    )
    if status != "UPDATE 1":
        return False
    await conn.execute(
        "INSERT INTO deadline_pauses (referral_id, paused_at) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING",
        referral_id,
        at,
    )
    return True


async def resume_deadline(
    conn: asyncpg.Connection, referral_id: UUID, at: datetime
) -> timedelta | None:
    """Restart a paused clock: its deadline and unfired steps move by the pause, returned."""
    paused_at = await conn.fetchval(
        "SELECT paused_at FROM deadlines WHERE referral_id = $1 AND paused_at IS NOT NULL"
        " FOR UPDATE",
        referral_id,
    )
    if paused_at is None:
        return None
    moved: timedelta = max(at - paused_at, timedelta(0))
    await conn.execute(
        "UPDATE deadlines SET paused_at = NULL, due_at = due_at + $2 WHERE referral_id = $1",
        referral_id,
        moved,
    )
    await conn.execute(
        "UPDATE deadline_steps SET at = at + $2 WHERE referral_id = $1 AND state = 'pending'",
        referral_id,
        moved,
    )
    await conn.execute(
        "UPDATE deadline_pauses SET resumed_at = $3 WHERE referral_id = $1 AND paused_at = $2",
        referral_id,
        paused_at,
        paused_at + moved,
    )
    return moved


async def insert_packages(conn: asyncpg.Connection, packages: dict[UUID, datetime]) -> None:
    """Remember each case's package deadline; the first one heard for a case is kept."""
    if not packages:
        return
    await conn.execute(
        "INSERT INTO case_packages (case_id, due_at)"
        " SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) ON CONFLICT (case_id) DO NOTHING",
        list(packages),
        list(packages.values()),
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
