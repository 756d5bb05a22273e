"""The router's queries. Every function takes a connection inside the caller's transaction."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lindung_contracts import ChildSummary, MalaysianState, ReferralPaused, ServiceType

from ..domain import CaseFacts, ReferralState, ReferralStatus  # noqa: TID252

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import (
        NoProviderAvailable,
        ReferralReassignmentRequested,
        ReferralRequested,
        ReferralResumed,
    )

__all__ = [
    "insert_case",
    "insert_cases",
    "insert_referral",
    "insert_referrals",
    "insert_unmet",
    "insert_unmet_many",
    "load_case",
    "lock_referral",
    "mark_undelivered",
    "record_reassignment",
    "referral_state",
    "set_status",
    "tried_providers",
]


async def insert_case(
    conn: asyncpg.Connection,
    facts: CaseFacts,
    *,
    opened_at: datetime,
    event_id: UUID,
    policy_version: str,
    directory_version: str,
) -> bool:
    """Store a case; False when it was already routed (a CaseOpened seen again)."""
    status = await conn.execute(
        "INSERT INTO cases (case_id, agency_id, state, child, identified_at, sexual_violence_at,"
        " opened_at, event_id, policy_version, directory_version, district)"
        " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (case_id) DO NOTHING",
        facts.case_id,
        facts.agency_id,
        facts.state.value,
        facts.child.model_dump_json(),
        facts.identified_at,
        facts.sexual_violence_at,
        opened_at,
        event_id,
        policy_version,
        directory_version,
        facts.district,
    )
    return bool(status == "INSERT 0 1")


async def insert_cases(
    conn: asyncpg.Connection,
    cases: list[tuple[CaseFacts, datetime, UUID]],
    *,
    policy_version: str,
    directory_version: str,
) -> set[UUID]:
    """Store several cases (facts, opened at, event id) at once; the ids that were new."""
    rows = await conn.fetch(
        "INSERT INTO cases (case_id, agency_id, state, child, identified_at, sexual_violence_at,"
        " opened_at, event_id, policy_version, directory_version, district)"
        " SELECT u.case_id, u.agency_id, u.state, u.child::jsonb, u.identified_at,"
        "  u.sexual_violence_at, u.opened_at, u.event_id, $9, $10, u.district"
        " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],"
        "  $6::timestamptz[], $7::timestamptz[], $8::uuid[], $11::text[]) AS u(case_id,"
        "  agency_id, state, child, identified_at, sexual_violence_at, opened_at, event_id,"
        "  district)"
        " ON CONFLICT (case_id) DO NOTHING RETURNING case_id",
        [f.case_id for f, _, _ in cases],
        [f.agency_id for f, _, _ in cases],
        [f.state.value for f, _, _ in cases],
        [f.child.model_dump_json() for f, _, _ in cases],
        [f.identified_at for f, _, _ in cases],
        [f.sexual_violence_at for f, _, _ in cases],
        [opened_at for _, opened_at, _ in cases],
        [event_id for _, _, event_id in cases],
        policy_version,
        directory_version,
        [f.district for f, _, _ in cases],
    )
    return {row["case_id"] for row in rows}


async def load_case(conn: asyncpg.Connection, case_id: UUID) -> CaseFacts | None:
    """The stored facts of a case."""
    row = await conn.fetchrow(
        "SELECT case_id, agency_id, state, child, identified_at, sexual_violence_at, district"
        " FROM cases WHERE case_id = $1",
        case_id,
    )
    if row is None:
        return None
    return CaseFacts(
        case_id=row["case_id"],
        agency_id=row["agency_id"],
        state=MalaysianState(row["state"]),
        child=ChildSummary.model_validate_json(row["child"]),
        identified_at=row["identified_at"],
        sexual_violence_at=row["sexual_violence_at"],
        district=row["district"],
    )


async def insert_referral(conn: asyncpg.Connection, referral: ReferralRequested) -> None:
    """Store a new referral in status `requested`."""
    await insert_referrals(conn, [referral])


async def insert_referrals(conn: asyncpg.Connection, referrals: list[ReferralRequested]) -> None:
    """Store new referrals in status `requested`, in one statement.

    One row per referral in one INSERT: a case's five or six referrals were as many
    executions of the statement, pipelined but each planned and run on its own.
    """
    if not referrals:
        return
    await conn.execute(
        "INSERT INTO referrals (referral_id, case_id, agency_id, service, provider_id, attempt,"
        " status, urgent, reasons, requested_at, due_at, escalation, policy_version, status_at,"
        " offer_id)"
        " SELECT u.referral_id, u.case_id, u.agency_id, u.service, u.provider_id, u.attempt,"
        "  'requested', u.urgent, ARRAY(SELECT jsonb_array_elements_text(u.reasons::jsonb)),"
        "  u.requested_at, u.due_at, u.escalation::jsonb, u.policy_version, u.requested_at,"
        "  u.offer_id"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[],"
        "  $7::bool[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[],"
        "  $12::text[], $13::uuid[]) AS u(referral_id, case_id, agency_id, service,"
        "  provider_id, attempt, urgent, reasons, requested_at, due_at, escalation,"
        "  policy_version, offer_id)",
        [r.referral_id for r in referrals],
        [r.case_id for r in referrals],
        [r.agency_id for r in referrals],
        [r.service.value for r in referrals],
        [r.provider_id for r in referrals],
        [r.attempt for r in referrals],
        [r.urgent for r in referrals],
        [json.dumps(list(r.reasons)) for r in referrals],
        [r.requested_at for r in referrals],
        [r.due_at for r in referrals],
        [json.dumps([step.model_dump(mode="json") for step in r.escalation]) for r in referrals],
        [r.policy_version for r in referrals],
        [r.offer_id for r in referrals],
    )


async def lock_referral(conn: asyncpg.Connection, referral_id: UUID) -> ReferralState | None:
    """A referral, locked until the transaction ends (answers to it are applied one by one).

    Its case is locked first (shared), as closing a case locks it (exclusively) before its
    referrals: a case is never closed while an answer to one of its referrals is applied,
    and the two never wait on each other.
    """
    closed = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM case_closures l WHERE l.case_id = c.case_id) FROM cases c"
        " WHERE c.case_id = (SELECT case_id FROM referrals WHERE referral_id = $1)"
        " FOR SHARE OF c",
        referral_id,
    )
    row = await conn.fetchrow(
        "SELECT referral_id, case_id, provider_id, service, status, attempt, urgent, reasons,"
        " paused_at, undelivered_at FROM referrals WHERE referral_id = $1 FOR UPDATE",
        referral_id,
    )
    if row is None:
        return None
    return referral_state(row, case_closed=bool(closed))


async def record_clock_change(
    conn: asyncpg.Connection, change: ReferralPaused | ReferralResumed, request_id: UUID
) -> None:
    """Stop or restart a referral's clock; a resume moves its deadline by the pause."""
    if isinstance(change, ReferralPaused):
        await conn.execute(
            "UPDATE referrals SET paused_at = $2, updated_at = now() WHERE referral_id = $1",
            change.referral_id,
            change.at,
        )
        action = "pause"
    else:
        await conn.execute(
            "UPDATE referrals SET paused_at = NULL, due_at = due_at + ($2 - paused_at),"
            " updated_at = now() WHERE referral_id = $1",
            change.referral_id,
            change.at,
        )
        action = "resume"
    await conn.execute(
        "INSERT INTO clock_changes (referral_id, action, coordinator_id, at, request_id)"
        " VALUES ($1, $2, $3, $4, $5)",
        change.referral_id,
        action,
        change.coordinator_id,
        change.at,
        request_id,
    )


async def record_reassignment(
    conn: asyncpg.Connection, request: ReferralReassignmentRequested, *, asked: str | None
) -> None:
    """Keep a coordinator's reassignment the router applied, and whom it asked."""
    await conn.execute(
        "INSERT INTO reassignments (request_id, referral_id, coordinator_id, chosen_provider_id,"
        " asked_provider_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        request.request_id,
        request.referral_id,
        request.coordinator_id,
        request.provider_id,
        asked,
        request.reason.value,
        request.at,
    )


async def mark_undelivered(conn: asyncpg.Connection, referral_id: UUID, at: datetime) -> None:
    """Remember that the referral could not be delivered to its provider (first time kept)."""
    await conn.execute(
        "UPDATE referrals SET undelivered_at = COALESCE(undelivered_at, $2), updated_at = now()"
        " WHERE referral_id = $1",
        referral_id,
        at,
    )


async def set_status(
    conn: asyncpg.Connection,
    referral_id: UUID,
    status: ReferralStatus,
    *,
    at: datetime,
    reason: str | None,
) -> None:
    """Move a referral to a new status."""
    await conn.execute(
        "UPDATE referrals SET status = $2, status_at = $3,"
        " status_reason = COALESCE($4, status_reason), updated_at = now()"
        " WHERE referral_id = $1",
        referral_id,
        status.value,
        at,
        reason,
    )


async def tried_providers(
    conn: asyncpg.Connection, case_id: UUID, service: ServiceType
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The providers asked for this service of this case (first first), and those that declined."""
    rows = await conn.fetch(
        "SELECT provider_id, status FROM referrals WHERE case_id = $1 AND service = $2"
        " ORDER BY attempt",
        case_id,
        service.value,
    )
    declined = tuple(r["provider_id"] for r in rows if r["status"] == ReferralStatus.DECLINED)
    return tuple(row["provider_id"] for row in rows), declined


async def insert_unmet(conn: asyncpg.Connection, unmet: NoProviderAvailable) -> None:
    """Record that nobody could take a service of a case."""
    await insert_unmet_many(conn, [unmet])


async def insert_unmet_many(conn: asyncpg.Connection, unmet: list[NoProviderAvailable]) -> None:
    """Record services nobody could take, pipelined in one round trip."""
    if not unmet:
        return
    await conn.executemany(
        "INSERT INTO unmet_services (case_id, service, reasons, tried, at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, service) DO NOTHING",
        [(u.case_id, u.service.value, list(u.reasons), list(u.tried), u.at) for u in unmet],
    )


def referral_state(row: asyncpg.Record, *, case_closed: bool = False) -> ReferralState:
    """A referral as the router decides on it, from a row of `referrals`."""
    return ReferralState(
        referral_id=row["referral_id"],
        case_id=row["case_id"],
        provider_id=row["provider_id"],
        service=ServiceType(row["service"]),
        status=ReferralStatus(row["status"]),
        attempt=row["attempt"],
        urgent=row["urgent"],
        reasons=tuple(row["reasons"]),
        paused_at=row["paused_at"],
        undelivered_at=row["undelivered_at"],
        case_closed=case_closed,
    )
