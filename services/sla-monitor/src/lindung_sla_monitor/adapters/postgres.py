"""Queries on each referral's deadline: its clock (open, closed, paused, resumed) and facts.

The facts are what reporting keeps beside the clock: a request's agency, state and attempt,
failed deliveries, and each case's package deadline. The ladder's steps are in `ladders`,
the scheduler's passes in `schedule`. Every function runs inside the caller's unit of work.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lindung_sla_monitor.domain import DeadlineState, DeadlineStatus

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import NotificationFailed, ReferralRequested, ServiceType

    from lindung_sla_monitor.domain import CloseReason, Deadline

__all__ = [
    "close_deadline",
    "fill_request",
    "insert_closed",
    "insert_facts",
    "insert_failure",
    "insert_open_many",
    "lock_referral",
    "lock_referrals",
    "pause_deadline",
    "resume_deadline",
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
        " ack_window_seconds, status) SELECT *, 'open' FROM unnest($1::uuid[], $2::uuid[],"
        " $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::int[])",
        [d.referral_id for d in deadlines],
        [d.case_id for d in deadlines],
        [d.provider_id for d in deadlines],
        [d.service.value for d in deadlines],
        [d.requested_at for d in deadlines],
        [d.due_at for d in deadlines],
        [d.acknowledgement_window_seconds for d in deadlines],
    )


async def insert_facts(
    conn: asyncpg.Connection,
    requests: list[ReferralRequested],
    packages: dict[UUID, datetime] | None = None,
    announce: tuple[str, str] | None = None,
) -> None:
    """Keep what reporting needs of each request (agency, state, attempt); first one wins.

    In the same statement: each case's package deadline (the first heard for a case is
    kept), and `announce` as (channel, payload), a NOTIFY delivered at commit.
    """
    packages = packages or {}
    if not requests and not packages and announce is None:
        return
    channel, payload = announce if announce is not None else (None, None)
    await conn.execute(
        "WITH facts AS (INSERT INTO referral_facts (referral_id, agency_id, state, attempt,"
        "  urgent) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[],"
        "  $5::bool[]) ON CONFLICT (referral_id) DO NOTHING),"
        " packages AS (INSERT INTO case_packages (case_id, due_at)"
        "  SELECT * FROM unnest($6::uuid[], $7::timestamptz[]) ON CONFLICT (case_id) DO NOTHING)"
        " SELECT pg_notify($8, $9) WHERE $8::text IS NOT NULL",
        [r.referral_id for r in requests],
        [r.agency_id for r in requests],
        [None if r.state is None else r.state.value for r in requests],
        [r.attempt for r in requests],
        [r.urgent for r in requests],
        list(packages),
        list(packages.values()),
        channel,
        payload,
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
