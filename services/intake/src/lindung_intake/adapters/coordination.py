"""Intake's queries for a coordinator's case page; each runs in the caller's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .alerts import _COLUMNS as _ALERT_COLUMNS
from .alerts import _alert

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from lindung_intake.domain import Alert

__all__ = ["case_notes", "case_of", "case_rows", "case_state", "providers_of"]


async def case_of(conn: asyncpg.Connection, referral_id: UUID) -> asyncpg.Record | None:
    """The case a referral belongs to, and that case's state; None if unknown."""
    return await conn.fetchrow(
        "SELECT r.case_id, c.identification->'situation'->>'state' AS state"
        " FROM referral_access r LEFT JOIN cases c ON c.case_id = r.case_id"
        " WHERE r.referral_id = $1",
        referral_id,
    )


async def case_state(conn: asyncpg.Connection, case_id: UUID) -> tuple[bool, str | None]:
    """Whether the case is known (and not merged into another), and its state."""
    row = await conn.fetchrow(
        "SELECT identification->'situation'->>'state' AS state FROM cases"
        " WHERE case_id = $1 AND linked_to IS NULL",
        case_id,
    )
    return (row is not None, row["state"] if row is not None else None)


async def case_rows(conn: asyncpg.Connection, case_id: UUID) -> dict[str, Any]:
    """What the case page shows beyond the case read: referrals in full, alerts, changes."""
    referrals = await conn.fetch(
        "SELECT referral_id, service, provider_id, status, requested_at, due_at, withdrawn_at,"
        " paused_at, escalation, matched_by, matched_tier, passed_over FROM referral_access"
        " WHERE case_id = $1"
        " ORDER BY requested_at, referral_id",
        case_id,
    )
    alerts = await conn.fetch(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE case_id = $1"  # noqa: S608 - fixed text
        " ORDER BY acknowledgement_id IS NOT NULL, raised_at DESC, alert_id",
        case_id,
    )
    responses = await conn.fetch(
        "SELECT p.referral_id, p.provider_id, p.response, p.reason, p.responded_at"
        " FROM provider_responses p JOIN referral_access r USING (referral_id)"
        " WHERE r.case_id = $1",
        case_id,
    )
    clocks = await conn.fetch(
        "SELECT k.referral_id, k.action, k.coordinator_id, k.reason, k.at FROM clock_changes k"
        " JOIN referral_access r USING (referral_id) WHERE r.case_id = $1",
        case_id,
    )
    moves = await conn.fetch(
        "SELECT m.referral_id, m.coordinator_id, m.provider_id, m.reason, m.at"
        " FROM reassignments m JOIN referral_access r USING (referral_id) WHERE r.case_id = $1",
        case_id,
    )
    found: list[Alert] = [_alert(a) for a in alerts]
    return {
        "referrals": list(referrals),
        "alerts": found,
        "responses": list(responses),
        "clocks": list(clocks),
        "moves": list(moves),
    }


async def providers_of(conn: asyncpg.Connection, service: str, limit: int = 50) -> list[str]:
    """The providers intake has seen referrals of this service go to, most used first."""
    rows = await conn.fetch(
        "SELECT provider_id FROM referral_access WHERE service = $1"
        " GROUP BY provider_id ORDER BY count(*) DESC, provider_id LIMIT $2",
        service,
        limit,
    )
    return [r["provider_id"] for r in rows]


async def case_notes(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    """The notes on the case itself (its closing's, coordinators' own), oldest first, sealed."""
    return list(
        await conn.fetch(
            "SELECT note_id, about, reason, writer_kind, writer_id, written_at, words,"
            " words_key_id FROM notes WHERE case_id = $1 AND referral_id IS NULL"
            " ORDER BY written_at, note_id",
            case_id,
        )
    )
