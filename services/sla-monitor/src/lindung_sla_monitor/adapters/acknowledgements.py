"""Queries for acknowledgements: what a referral's ladder says, the hold, and its record.

Every function runs inside the caller's unit of work, after the referral's lock
(`postgres.lock_referral`): the hold and the moved steps commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import RecipientRole, StepKind

from lindung_sla_monitor.domain import Step

if TYPE_CHECKING:
    from datetime import timedelta
    from uuid import UUID

    import asyncpg
    from lindung_contracts import AlertAcknowledged

    from lindung_sla_monitor.domain import Acknowledging

__all__ = ["Ladder", "insert_acknowledgement", "load_ladder", "move_levels_above"]


@dataclass(frozen=True, slots=True)
class Ladder:
    """What an acknowledgement of one level of a referral is decided on."""

    window_seconds: int | None
    raised_levels: frozenset[int]
    held_before: bool
    pending_above: list[Step]


async def load_ladder(conn: asyncpg.Connection, referral_id: UUID, level: int) -> Ladder:
    """The referral's window, its fired levels, an earlier hold of `level`, the steps above.

    The unfired escalations above `level` are locked: the scheduler skips them meanwhile.
    """
    window = await conn.fetchval(
        "SELECT ack_window_seconds FROM deadlines WHERE referral_id = $1", referral_id
    )
    fired = await conn.fetch(
        "SELECT DISTINCT level FROM deadline_steps"
        " WHERE referral_id = $1 AND kind = 'escalation' AND state = 'fired'",
        referral_id,
    )
    held = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM acknowledgements"
        " WHERE referral_id = $1 AND level = $2 AND outcome = 'held')",
        referral_id,
        level,
    )
    rows = await conn.fetch(
        "SELECT step_no, kind, level, percent_of_window, at, notify FROM deadline_steps"
        " WHERE referral_id = $1 AND kind = 'escalation' AND state = 'pending' AND level > $2"
        " ORDER BY at, step_no FOR UPDATE",
        referral_id,
        level,
    )
    return Ladder(
        window_seconds=window,
        raised_levels=frozenset(int(row["level"]) for row in fired),
        held_before=bool(held),
        pending_above=[
            Step(
                step_no=row["step_no"],
                kind=StepKind(row["kind"]),
                level=row["level"],
                percent_of_window=row["percent_of_window"],
                at=row["at"],
                notify=RecipientRole(row["notify"]),
            )
            for row in rows
        ],
    )


async def move_levels_above(
    conn: asyncpg.Connection, referral_id: UUID, level: int, moved_by: timedelta
) -> int:
    """Move every unfired escalation above `level` later by `moved_by`; how many moved."""
    status = await conn.execute(
        "UPDATE deadline_steps SET at = at + $3"
        " WHERE referral_id = $1 AND kind = 'escalation' AND state = 'pending' AND level > $2",
        referral_id,
        level,
        moved_by,
    )
    return int(status.split()[-1])


async def insert_acknowledgement(
    conn: asyncpg.Connection, ack: AlertAcknowledged, decided: Acknowledging
) -> None:
    """Record the acknowledgement and what it did (ids and codes only, never words)."""
    await conn.execute(
        "INSERT INTO acknowledgements (acknowledgement_id, alert_id, kind, case_id, referral_id,"
        " level, coordinator_id, acknowledged_at, outcome, note, held_until, moved_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (acknowledgement_id) DO NOTHING",
        ack.acknowledgement_id,
        ack.alert_id,
        ack.kind.value,
        ack.case_id,
        ack.referral_id,
        ack.escalation_level,
        ack.coordinator_id,
        ack.acknowledged_at,
        decided.outcome.value,
        decided.note,
        decided.held_until,
        decided.moved_by,
    )
