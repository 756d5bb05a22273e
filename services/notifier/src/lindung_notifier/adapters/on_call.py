"""The on-call queries: cases' states, who was chosen for each delivery, hand-overs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg

__all__ = [
    "Choice",
    "Chosen",
    "known_states",
    "lock_event",
    "note_states",
    "record_choices",
    "roles_of",
    "unreached",
]


@dataclass(frozen=True)
class Choice:
    """Who holds one delivery of a role's alert, and why (ids and codes only)."""

    role: str
    state: str | None
    person_id: str | None
    position: int
    why: str
    decided_for: datetime


@dataclass(frozen=True)
class Chosen:
    """A choice made for one stored delivery."""

    notification_id: UUID
    cause_event_id: UUID
    case_id: UUID
    choice: Choice


async def note_states(
    conn: asyncpg.Connection, states: Sequence[tuple[UUID, str]], now: datetime
) -> None:
    """Remember each case's state; what an event says last replaces what was known."""
    if not states:
        return
    await conn.execute(
        "INSERT INTO case_states (case_id, state, noted_at)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])"
        " ON CONFLICT (case_id) DO UPDATE SET state = excluded.state, noted_at = excluded.noted_at"
        # Each referral of a case says the same state: no row version for a repeat.
        " WHERE case_states.state IS DISTINCT FROM excluded.state",
        [case_id for case_id, _ in states],
        [state for _, state in states],
        [now] * len(states),
    )


async def known_states(conn: asyncpg.Connection, case_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The remembered state of each of these cases that has one."""
    if not case_ids:
        return {}
    rows = await conn.fetch(
        "SELECT case_id, state FROM case_states WHERE case_id = ANY($1::uuid[])", list(case_ids)
    )
    return {row["case_id"]: row["state"] for row in rows}


async def record_choices(conn: asyncpg.Connection, chosen: Sequence[Chosen], now: datetime) -> None:
    """Keep who was chosen for each delivery stored in this unit of work.

    A delivery that was already stored (the event seen again) keeps its first choice.
    """
    if not chosen:
        return
    await conn.execute(
        "INSERT INTO on_call_choices (notification_id, cause_event_id, case_id, role, state,"
        "  person_id, position, why, decided_for, chosen_at)"
        " SELECT u.*, $10 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[],"
        "  $5::text[], $6::text[], $7::integer[], $8::text[], $9::timestamptz[])"
        "  AS u(notification_id, cause_event_id, case_id, role, state, person_id, position,"
        "  why, decided_for)"
        " WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = u.notification_id)"
        " ON CONFLICT (notification_id) DO NOTHING",
        [c.notification_id for c in chosen],
        [c.cause_event_id for c in chosen],
        [c.case_id for c in chosen],
        [c.choice.role for c in chosen],
        [c.choice.state for c in chosen],
        [c.choice.person_id for c in chosen],
        [c.choice.position for c in chosen],
        [c.choice.why for c in chosen],
        [c.choice.decided_for for c in chosen],
        now,
    )


async def lock_event(conn: asyncpg.Connection, cause_event_id: UUID) -> None:
    """Hold the event's hand-over lock until commit: two channels failing at once hand over once.

    Each of two transactions recording the last failures of one person's channels waits
    here for the other, so the second to take it sees the first's failure committed.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('lindung.on_call:' || $1::text, 0))",
        str(cause_event_id),
    )


async def unreached(conn: asyncpg.Connection, notification_id: UUID) -> Choice | None:
    """The choice behind a failed delivery to a person, or None if it is not for handing over.

    None when the delivery holds no choice, or when another channel to the same person for
    the same event is delivered or still being tried: the person may yet be reached.
    """
    row = await conn.fetchrow(
        "SELECT c.role, c.state, c.person_id, c.position, c.why, c.decided_for,"
        "  EXISTS (SELECT 1 FROM deliveries s WHERE s.cause_event_id = d.cause_event_id"
        "   AND s.recipient_kind = d.recipient_kind AND s.recipient = d.recipient"
        "   AND s.status <> 'failed') AS busy"
        " FROM deliveries d JOIN on_call_choices c USING (notification_id)"
        " WHERE d.notification_id = $1",
        notification_id,
    )
    if row is None or row["busy"]:
        return None
    return Choice(
        role=row["role"],
        state=row["state"],
        person_id=row["person_id"],
        position=row["position"],
        why=row["why"],
        decided_for=row["decided_for"],
    )


async def roles_of(conn: asyncpg.Connection, notification_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The role each of these deliveries was chosen to hold an alert for."""
    if not notification_ids:
        return {}
    rows = await conn.fetch(
        "SELECT notification_id, role FROM on_call_choices WHERE notification_id = ANY($1::uuid[])",
        list(notification_ids),
    )
    return {row["notification_id"]: row["role"] for row in rows}
