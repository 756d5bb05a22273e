"""The dashboard's queries: what is open now, and how referrals of a period fared.

Read-only, over the sla-monitor's own tables (PostgreSQL stays the truth). A referral
belongs to a period by when it was requested. Its outcome:

- `on_time`: accepted (or started, or completed) by its deadline;
- `late`: accepted after its deadline, or its deadline passed while it was unanswered
  (still open, or declined, re-routed or withdrawn only after the deadline);
- `waiting`: open, its deadline still ahead (or its clock paused before the deadline);
- `ended`: declined, re-routed or withdrawn before its deadline (neither on time nor late).

The on-time rate is on_time / (on_time + late). Deadlines here are the ones that count,
moved by any pause. Nothing read here names or describes a child.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from datetime import datetime
    from uuid import UUID

    import asyncpg

__all__ = [
    "DIMENSIONS",
    "Failures",
    "GroupStats",
    "OpenReferral",
    "Trend",
    "escalations_by_level",
    "export_rows",
    "failed_deliveries",
    "group_stats",
    "open_count",
    "open_referrals",
    "trend",
]

# The groupings the on-time rate is reported by; "all" is the whole period.
DIMENSIONS = ("all", "service", "provider", "agency", "state")
_OUTCOMES = """
SELECT d.referral_id, d.case_id, d.service, d.provider_id,
       coalesce(f.agency_id, 'unknown') AS agency_id, coalesce(f.state, 'unknown') AS state,
       f.attempt, d.requested_at, d.due_at, d.status, d.closed_reason, d.closed_at,
       CASE
         WHEN d.closed_reason IN ('accepted', 'started', 'completed')
              AND d.closed_at <= d.due_at THEN 'on_time'
         WHEN d.closed_reason IN ('accepted', 'started', 'completed') THEN 'late'
         WHEN d.status = 'closed' AND d.closed_at > d.due_at THEN 'late'
         WHEN d.status = 'closed' THEN 'ended'
         WHEN d.due_at < coalesce(d.paused_at, $3) THEN 'late'
         ELSE 'waiting'
       END AS outcome,
       CASE WHEN d.closed_reason IN ('accepted', 'started', 'completed')
            THEN extract(epoch FROM d.closed_at - d.requested_at) END AS accept_seconds
FROM deadlines d LEFT JOIN referral_facts f USING (referral_id)
WHERE d.requested_at >= $1 AND d.requested_at < $2
"""

# The highest escalation a referral has raised (0 for none), for a row aliased {referral}.
_LEVEL_REACHED = (
    "(SELECT coalesce(max(s.level), 0) FROM deadline_steps s"
    " WHERE s.referral_id = {referral}.referral_id AND s.kind = 'escalation'"
    " AND s.state = 'fired')"
)


@dataclass(frozen=True)
class OpenReferral:
    """A referral awaiting acceptance; `seconds_left` is negative once it is late."""

    referral_id: UUID
    case_id: UUID
    service: str
    provider_id: str
    agency_id: str
    state: str
    attempt: int
    urgent: bool
    requested_at: datetime
    due_at: datetime
    paused: bool
    level: int
    seconds_left: float

    @property
    def late(self) -> bool:
        """Its deadline has passed."""
        return self.seconds_left < 0


@dataclass(frozen=True)
class GroupStats:
    """How the referrals of one group (a service, a provider...) fared in the period."""

    dimension: str
    key: str
    referrals: int
    on_time: int
    late: int
    waiting: int
    ended: int
    rerouted: int
    median_accept_seconds: float | None
    p90_accept_seconds: float | None

    @property
    def on_time_rate(self) -> float | None:
        """on_time / (on_time + late); None while nothing was decided."""
        decided = self.on_time + self.late
        return self.on_time / decided if decided else None


@dataclass(frozen=True)
class Trend:
    """On-time and late referrals requested in one bucket (an hour or a day) of the period."""

    start: datetime
    on_time: int
    late: int
    waiting: int


@dataclass(frozen=True)
class Failures:
    """Deliveries that failed for good in the period, by channel and by what was sent."""

    channel: str
    cause_type: str
    count: int


async def open_count(conn: asyncpg.Connection, now: datetime) -> tuple[int, int]:
    """How many referrals await acceptance, and how many of them are late."""
    row = await conn.fetchrow(
        "SELECT count(*) AS open, count(*) FILTER (WHERE due_at < coalesce(paused_at, $1))"
        " AS late FROM deadlines WHERE status = 'open'",
        now,
    )
    assert row is not None  # an aggregate always returns its row
    return int(row["open"]), int(row["late"])


async def open_referrals(
    conn: asyncpg.Connection, now: datetime, *, limit: int, offset: int = 0
) -> list[OpenReferral]:
    """Open referrals by time left, the latest first; paused clocks count from the pause."""
    rows = await conn.fetch(
        "SELECT d.referral_id, d.case_id, d.service, d.provider_id,"  # noqa: S608 - fixed text
        " coalesce(f.agency_id, 'unknown') AS agency_id, coalesce(f.state, 'unknown') AS state,"
        " coalesce(f.attempt, 1) AS attempt, coalesce(f.urgent, false) AS urgent,"
        " d.requested_at, d.due_at, d.paused_at IS NOT NULL AS paused,"
        " extract(epoch FROM d.due_at - coalesce(d.paused_at, $1)) AS seconds_left,"
        f" {_LEVEL_REACHED.format(referral='d')} AS level"
        # Running clocks come in deadline order off the open-deadline index, so a page
        # reads a page's worth, not every open referral; paused clocks are few.
        " FROM ((SELECT * FROM deadlines WHERE status = 'open' AND paused_at IS NULL"
        "        ORDER BY due_at, referral_id LIMIT $2::int + $3::int)"
        "       UNION ALL (SELECT * FROM deadlines WHERE status = 'open'"
        "        AND paused_at IS NOT NULL)) d"
        " LEFT JOIN referral_facts f USING (referral_id)"
        " ORDER BY d.due_at - coalesce(d.paused_at, $1), d.referral_id LIMIT $2 OFFSET $3",
        now,
        limit,
        offset,
    )
    return [
        OpenReferral(
            referral_id=r["referral_id"],
            case_id=r["case_id"],
            service=r["service"],
            provider_id=r["provider_id"],
            agency_id=r["agency_id"],
            state=r["state"],
            attempt=int(r["attempt"]),
            urgent=bool(r["urgent"]),
            requested_at=r["requested_at"],
            due_at=r["due_at"],
            paused=bool(r["paused"]),
            level=int(r["level"]),
            seconds_left=float(r["seconds_left"]),
        )
        for r in rows
    ]


async def group_stats(
    conn: asyncpg.Connection, since: datetime, until: datetime, now: datetime
) -> list[GroupStats]:
    """Outcomes and time to acceptance of the period's referrals, by each dimension."""
    rows = await conn.fetch(
        f"WITH r AS ({_OUTCOMES})"  # noqa: S608 - fixed text, no input in it
        # One pass, one grouping set per dimension; in each, only its own column is set.
        " SELECT CASE WHEN grouping(service) = 0 THEN 'service'"
        "  WHEN grouping(provider_id) = 0 THEN 'provider'"
        "  WHEN grouping(agency_id) = 0 THEN 'agency'"
        "  WHEN grouping(state) = 0 THEN 'state' ELSE 'all' END AS dimension,"
        " coalesce(service, provider_id, agency_id, state, 'all') AS key,"
        " count(*) AS referrals,"
        " count(*) FILTER (WHERE outcome = 'on_time') AS on_time,"
        " count(*) FILTER (WHERE outcome = 'late') AS late,"
        " count(*) FILTER (WHERE outcome = 'waiting') AS waiting,"
        " count(*) FILTER (WHERE outcome = 'ended') AS ended,"
        " count(*) FILTER (WHERE closed_reason = 'rerouted') AS rerouted,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY accept_seconds) AS p50,"
        " percentile_cont(0.9) WITHIN GROUP (ORDER BY accept_seconds) AS p90"
        " FROM r GROUP BY GROUPING SETS ((), (service), (provider_id), (agency_id), (state))"
        " ORDER BY 1, 2",
        since,
        until,
        now,
    )
    return [
        GroupStats(
            dimension=r["dimension"],
            key=r["key"],
            referrals=int(r["referrals"]),
            on_time=int(r["on_time"]),
            late=int(r["late"]),
            waiting=int(r["waiting"]),
            ended=int(r["ended"]),
            rerouted=int(r["rerouted"]),
            median_accept_seconds=r["p50"],
            p90_accept_seconds=r["p90"],
        )
        for r in rows
    ]


async def trend(
    conn: asyncpg.Connection,
    since: datetime,
    until: datetime,
    now: datetime,
    *,
    bucket: str,
    timezone: str,
) -> list[Trend]:
    """On-time and late referrals by the hour or day (in `timezone`) they were requested."""
    if bucket not in {"hour", "day"}:
        raise ValueError(bucket)
    rows = await conn.fetch(
        f"WITH r AS ({_OUTCOMES})"  # noqa: S608 - fixed text, no input in it
        " SELECT date_trunc($4, r.requested_at, $5) AS start,"
        " count(*) FILTER (WHERE outcome = 'on_time') AS on_time,"
        " count(*) FILTER (WHERE outcome = 'late') AS late,"
        " count(*) FILTER (WHERE outcome = 'waiting') AS waiting"
        " FROM r GROUP BY 1 ORDER BY 1",
        since,
        until,
        now,
        bucket,
        timezone,
    )
    return [
        Trend(
            start=r["start"],
            on_time=int(r["on_time"]),
            late=int(r["late"]),
            waiting=int(r["waiting"]),
        )
        for r in rows
    ]


async def escalations_by_level(
    conn: asyncpg.Connection, since: datetime, until: datetime
) -> dict[int, int]:
    """Escalations raised in the period, by level."""
    rows = await conn.fetch(
        "SELECT level, count(*) AS n FROM deadline_steps"
        " WHERE kind = 'escalation' AND state = 'fired' AND settled_at >= $1 AND settled_at < $2"
        " GROUP BY level ORDER BY level",
        since,
        until,
    )
    return {int(r["level"]): int(r["n"]) for r in rows}


async def failed_deliveries(
    conn: asyncpg.Connection, since: datetime, until: datetime
) -> list[Failures]:
    """Deliveries that failed for good in the period."""
    rows = await conn.fetch(
        "SELECT channel, cause_type, count(*) AS n FROM delivery_failures"
        " WHERE failed_at >= $1 AND failed_at < $2 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        since,
        until,
    )
    return [Failures(r["channel"], r["cause_type"], int(r["n"])) for r in rows]


async def export_rows(
    conn: asyncpg.Connection, since: datetime, until: datetime, now: datetime
) -> AsyncIterator[dict[str, Any]]:
    """Every referral of the period with its outcomes, streamed (run inside a transaction).

    Beside its timeliness, what its completion did for the child (`referral_outcomes`),
    and what became of the child when a coordinator closed the case (`case_closures`).
    """
    query = (
        f"WITH r AS ({_OUTCOMES})"  # noqa: S608 - fixed text, no input in it
        f" SELECT r.*, {_LEVEL_REACHED.format(referral='r')} AS level,"
        " o.completed_at, o.outcome AS service_outcome, o.outcome_reason AS service_outcome_reason,"
        " k.closed_at AS case_closed_at, k.outcome AS case_outcome"
        " FROM r LEFT JOIN referral_outcomes o USING (referral_id)"
        " LEFT JOIN case_closures k ON k.case_id = r.case_id"
        " ORDER BY r.requested_at, r.referral_id"
    )
    async for row in conn.cursor(query, since, until, now, prefetch=500):
        yield dict(row)
