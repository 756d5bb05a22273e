"""The router's queries. Every function takes a connection inside the caller's transaction."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lindung_contracts import ChildSummary, MalaysianState, ServiceType

from ..domain import CaseFacts, ReferralState, ReferralStatus  # noqa: TID252

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import NoProviderAvailable, ReferralRequested

__all__ = [
    "insert_case",
    "insert_referral",
    "insert_unmet",
    "load_case",
    "lock_referral",
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
        " opened_at, event_id, policy_version, directory_version)"
        " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10)"
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
    )
    return bool(status == "INSERT 0 1")


async def load_case(conn: asyncpg.Connection, case_id: UUID) -> CaseFacts | None:
    """The stored facts of a case."""
    row = await conn.fetchrow(
        "SELECT case_id, agency_id, state, child, identified_at, sexual_violence_at"
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
    )


async def insert_referral(conn: asyncpg.Connection, referral: ReferralRequested) -> None:
    """Store a new referral in status `requested`."""
    ladder = [step.model_dump(mode="json") for step in referral.escalation]
    await conn.execute(
        "INSERT INTO referrals (referral_id, case_id, agency_id, service, provider_id, attempt,"
        " status, urgent, reasons, requested_at, due_at, escalation, policy_version, status_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $9, $10, $11::jsonb, $12, $9)",
        referral.referral_id,
        referral.case_id,
        referral.agency_id,
        referral.service.value,
        referral.provider_id,
        referral.attempt,
        referral.urgent,
        list(referral.reasons),
        referral.requested_at,
        referral.due_at,
        json.dumps(ladder),
        referral.policy_version,
    )


async def lock_referral(conn: asyncpg.Connection, referral_id: UUID) -> ReferralState | None:
    """A referral, locked until the transaction ends (answers to it are applied one by one)."""
    row = await conn.fetchrow(
        "SELECT referral_id, case_id, provider_id, service, status, attempt, urgent, reasons"
        " FROM referrals WHERE referral_id = $1 FOR UPDATE",
        referral_id,
    )
    if row is None:
        return None
    return ReferralState(
        referral_id=row["referral_id"],
        case_id=row["case_id"],
        provider_id=row["provider_id"],
        service=ServiceType(row["service"]),
        status=ReferralStatus(row["status"]),
        attempt=row["attempt"],
        urgent=row["urgent"],
        reasons=tuple(row["reasons"]),
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
) -> tuple[str, ...]:
    """Providers already asked for this service of this case, first attempt first."""
    rows = await conn.fetch(
        "SELECT provider_id FROM referrals WHERE case_id = $1 AND service = $2 ORDER BY attempt",
        case_id,
        service.value,
    )
    return tuple(row["provider_id"] for row in rows)


async def insert_unmet(conn: asyncpg.Connection, unmet: NoProviderAvailable) -> None:
    """Record that nobody could take a service of a case."""
    await conn.execute(
        "INSERT INTO unmet_services (case_id, service, reasons, tried, at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, service) DO NOTHING",
        unmet.case_id,
        unmet.service.value,
        list(unmet.reasons),
        list(unmet.tried),
        unmet.at,
    )
