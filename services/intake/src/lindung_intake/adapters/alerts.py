"""Intake's queries on the alerts it mirrors. Every function runs in the caller's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lindung_contracts import AlertKind

from lindung_intake.domain import Alert

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import AlertAcknowledged

__all__ = [
    "Held",
    "case_states",
    "count_alerts",
    "find_alert",
    "holders_of",
    "insert_alerts",
    "list_alerts",
    "mark_acknowledged",
    "note_holders",
]

_COLUMNS = (
    "alert_id, kind, case_id, referral_id, escalation_level, notify, state, raised_at, detail,"
    " acknowledgement_id, acknowledged_by, acknowledged_at"
)


async def case_states(conn: asyncpg.Connection, case_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The state each case's child was identified in, from its stored identification."""
    rows = await conn.fetch(
        "SELECT case_id, identification->'situation'->>'state' AS state FROM cases"
        " WHERE case_id = ANY($1::uuid[])",
        list(set(case_ids)),
    )
    return {row["case_id"]: row["state"] for row in rows if row["state"] is not None}


async def insert_alerts(conn: asyncpg.Connection, alerts: list[Alert]) -> None:
    """Keep each alert once: a redelivered event changes nothing."""
    if not alerts:
        return
    await conn.executemany(
        "INSERT INTO alerts (alert_id, kind, case_id, referral_id, escalation_level, notify,"
        " state, raised_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)"
        " ON CONFLICT (alert_id) DO NOTHING",
        [
            (
                a.alert_id,
                a.kind.value,
                a.case_id,
                a.referral_id,
                a.escalation_level,
                a.notify,
                a.state,
                a.raised_at,
                json.dumps(a.detail),
            )
            for a in alerts
        ],
    )


async def find_alert(
    conn: asyncpg.Connection, alert_id: UUID, *, lock: bool = False
) -> Alert | None:
    """One alert; locked when asked, so two acknowledgements of it are decided in turn."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM alerts WHERE alert_id = $1{' FOR UPDATE' if lock else ''}",  # noqa: S608 - fixed text
        alert_id,
    )
    return _alert(row) if row is not None else None


async def list_alerts(
    conn: asyncpg.Connection,
    states: frozenset[str] | None,
    roles: frozenset[str] | None,
    limit: int,
) -> list[Alert]:
    """The alerts of these states, to these roles (None: all): open first, newest first.

    At most `limit` open ones and `limit` taken ones, so a long queue of open alerts never
    hides those somebody holds.
    """
    every = states is None or "*" in states
    mine = "($1 OR state = ANY($2::text[])) AND ($3 OR notify = ANY($4::text[]))"
    rows = await conn.fetch(
        f"SELECT * FROM ((SELECT {_COLUMNS} FROM alerts"  # noqa: S608 - fixed text
        f"  WHERE {mine} AND acknowledgement_id IS NULL"
        "  ORDER BY raised_at DESC, alert_id LIMIT $5)"
        f" UNION ALL (SELECT {_COLUMNS} FROM alerts"
        f"  WHERE {mine} AND acknowledgement_id IS NOT NULL"
        "  ORDER BY raised_at DESC, alert_id LIMIT $5)) AS shown"
        " ORDER BY acknowledgement_id IS NOT NULL, raised_at DESC, alert_id",
        every,
        sorted(states or ()),
        roles is None,
        sorted(roles or ()),
        limit,
    )
    return [_alert(row) for row in rows]


async def count_alerts(
    conn: asyncpg.Connection, states: frozenset[str] | None, roles: frozenset[str] | None
) -> tuple[int, int]:
    """How many alerts of these states, to these roles, are open, and how many taken."""
    every = states is None or "*" in states
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE acknowledgement_id IS NULL) AS open,"
        " count(*) FILTER (WHERE acknowledgement_id IS NOT NULL) AS taken"
        " FROM alerts WHERE ($1 OR state = ANY($2::text[])) AND ($3 OR notify = ANY($4::text[]))",
        every,
        sorted(states or ()),
        roles is None,
        sorted(roles or ()),
    )
    return int(row["open"]), int(row["taken"])


async def mark_acknowledged(conn: asyncpg.Connection, ack: AlertAcknowledged) -> None:
    """Record who took ownership of the alert, and when."""
    await conn.execute(
        "UPDATE alerts SET acknowledgement_id = $2, acknowledged_by = $3, acknowledged_at = $4"
        " WHERE alert_id = $1 AND acknowledgement_id IS NULL",
        ack.alert_id,
        ack.acknowledgement_id,
        ack.coordinator_id,
        ack.acknowledged_at,
    )


@dataclass(frozen=True)
class Held:
    """An alert delivered to a person on call for its role: their id, never a name."""

    alert_id: UUID
    person_id: str
    role: str
    delivered_at: datetime


async def note_holders(conn: asyncpg.Connection, held: list[Held]) -> None:
    """Remember who on call received each alert; a later delivery (a stand-in) replaces it."""
    if not held:
        return
    await conn.execute(
        "INSERT INTO alert_holders (alert_id, person_id, role, delivered_at)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])"
        " ON CONFLICT (alert_id) DO UPDATE SET person_id = excluded.person_id,"
        "  role = excluded.role, delivered_at = excluded.delivered_at"
        " WHERE alert_holders.delivered_at < excluded.delivered_at",
        [h.alert_id for h in held],
        [h.person_id for h in held],
        [h.role for h in held],
        [h.delivered_at for h in held],
    )


async def holders_of(conn: asyncpg.Connection, alert_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The person on call each of these alerts was delivered to, for those delivered to one."""
    rows = await conn.fetch(
        "SELECT alert_id, person_id FROM alert_holders WHERE alert_id = ANY($1::uuid[])",
        list(alert_ids),
    )
    return {row["alert_id"]: row["person_id"] for row in rows}


def _alert(row: Any) -> Alert:
    detail = row["detail"]
    return Alert(
        alert_id=row["alert_id"],
        kind=AlertKind(row["kind"]),
        case_id=row["case_id"],
        referral_id=row["referral_id"],
        escalation_level=row["escalation_level"],
        notify=row["notify"],
        state=row["state"],
        raised_at=row["raised_at"],
        detail=json.loads(detail) if isinstance(detail, str) else dict(detail),
        acknowledgement_id=row["acknowledgement_id"],
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=row["acknowledged_at"],
    )
