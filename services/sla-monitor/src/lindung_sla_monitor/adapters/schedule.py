"""The scheduler's queries: due steps and packages, locked for one pass; the next due time.

Every function runs inside the caller's unit of work.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lindung_contracts import ServiceType, UnacceptedReferral

from lindung_sla_monitor.domain import PackageDue

from .ladders import deadline_and_step

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg

    from lindung_sla_monitor.domain import Deadline, Skip, Step

__all__ = [
    "clock_timestamp",
    "count_open",
    "lock_due_packages",
    "lock_due_steps",
    "mark_skipped",
    "next_due",
    "reached_levels",
    "settle_packages",
]


async def lock_due_packages(
    conn: asyncpg.Connection, now: datetime, limit: int
) -> list[PackageDue]:
    """Due, unsettled package deadlines no one else holds, each with its open referrals."""
    rows = await conn.fetch(
        "SELECT case_id, due_at FROM case_packages WHERE state = 'pending' AND due_at <= $1"
        " ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    if not rows:
        return []
    open_rows = await conn.fetch(
        "SELECT case_id, referral_id, service, provider_id, due_at FROM deadlines"
        " WHERE status = 'open' AND case_id = ANY($1::uuid[]) ORDER BY due_at, referral_id",
        [row["case_id"] for row in rows],
    )
    unaccepted: dict[UUID, list[UnacceptedReferral]] = {row["case_id"]: [] for row in rows}
    for row in open_rows:
        unaccepted[row["case_id"]].append(
            UnacceptedReferral(
                referral_id=row["referral_id"],
                service=ServiceType(row["service"]),
                provider_id=row["provider_id"],
                due_at=row["due_at"],
            )
        )
    return [
        PackageDue(row["case_id"], row["due_at"], tuple(unaccepted[row["case_id"]])) for row in rows
    ]


async def settle_packages(
    conn: asyncpg.Connection, settled: list[tuple[UUID, UUID | None]], now: datetime
) -> None:
    """Mark each case's package fired (with its event id) or met (None)."""
    await conn.executemany(
        "UPDATE case_packages SET state = CASE WHEN $2::uuid IS NULL THEN 'met' ELSE 'fired' END,"
        " event_id = $2, settled_at = $3 WHERE case_id = $1 AND state = 'pending'",
        [(case_id, event_id, now) for case_id, event_id in settled],
    )


async def next_due(conn: asyncpg.Connection, grace: timedelta) -> datetime | None:
    """When the next pending step, package or legal clock comes due (escalations after `grace`)."""
    due: datetime | None = await conn.fetchval(
        "SELECT min(t) FROM ("
        " (SELECT s.at AS t FROM deadline_steps s JOIN deadlines d USING (referral_id)"
        "  WHERE s.state = 'pending' AND s.kind = 'warning' AND d.status = 'open'"
        "  AND d.paused_at IS NULL ORDER BY s.at LIMIT 1)"
        " UNION ALL"
        " (SELECT s.at + $1 FROM deadline_steps s JOIN deadlines d USING (referral_id)"
        "  WHERE s.state = 'pending' AND s.kind = 'escalation' AND d.status = 'open'"
        "  AND d.paused_at IS NULL ORDER BY s.at LIMIT 1)"
        " UNION ALL"
        " (SELECT due_at + $1 FROM case_packages WHERE state = 'pending' ORDER BY due_at LIMIT 1)"
        " UNION ALL"
        " (SELECT due_at + $1 FROM legal_clocks WHERE state = 'running' ORDER BY due_at LIMIT 1)"
        ") AS upcoming",
        grace,
    )
    return due


async def clock_timestamp(conn: asyncpg.Connection) -> datetime:
    """PostgreSQL's clock as it reads now (not the start of the transaction)."""
    at: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return at


async def count_open(conn: asyncpg.Connection) -> tuple[int, int]:
    """Referrals awaiting acceptance: with their clock running, and paused."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE paused_at IS NULL) AS running,"
        " count(*) FILTER (WHERE paused_at IS NOT NULL) AS paused"
        " FROM deadlines WHERE status = 'open'"
    )
    assert row is not None  # an aggregate always returns its row
    return int(row["running"]), int(row["paused"])


async def lock_due_steps(
    conn: asyncpg.Connection, now: datetime, limit: int, *, grace: timedelta = timedelta(0)
) -> list[tuple[Deadline, Step]]:
    """Lock the earliest due, unfired steps of open deadlines that no one else holds.

    Warnings are due at their time; escalations `grace` later.
    """
    rows = await conn.fetch(
        "SELECT s.step_no, s.kind, s.level, s.percent_of_window, s.at, s.notify,"
        " d.referral_id, d.case_id, d.provider_id, d.service, d.requested_at, d.due_at"
        " FROM deadline_steps s JOIN deadlines d ON d.referral_id = s.referral_id"
        " WHERE s.state = 'pending' AND d.status = 'open' AND d.paused_at IS NULL"
        " AND s.at <= $1 AND (s.kind <> 'escalation' OR s.at <= $3)"
        " ORDER BY s.at, s.referral_id, s.step_no LIMIT $2"
        # Another scheduler's rows are skipped, not waited for: each step goes to one.
        " FOR UPDATE OF s SKIP LOCKED",
        now,
        limit,
        now - grace,
    )
    return [deadline_and_step(row) for row in rows]


async def reached_levels(
    conn: asyncpg.Connection, referral_ids: list[UUID], cutoff: datetime
) -> dict[UUID, int]:
    """Per referral, the highest escalation level due by `cutoff`, fired or pending."""
    rows = await conn.fetch(
        "SELECT referral_id, max(level) AS level FROM deadline_steps"
        " WHERE referral_id = ANY($1::uuid[]) AND kind = 'escalation'"
        " AND state IN ('pending', 'fired') AND at <= $2 GROUP BY referral_id",
        referral_ids,
        cutoff,
    )
    return {row["referral_id"]: int(row["level"]) for row in rows}


async def mark_skipped(conn: asyncpg.Connection, skipped: list[Skip], now: datetime) -> None:
    """Record that each step was settled without an event, with why."""
    await conn.executemany(
        "UPDATE deadline_steps SET state = 'skipped', settled_at = $3, note = $4"
        " WHERE referral_id = $1 AND step_no = $2 AND state = 'pending'",
        [(s.referral_id, s.step.step_no, now, s.note) for s in skipped],
    )
