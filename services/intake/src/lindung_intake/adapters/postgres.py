"""Intake's queries. Every function takes a connection inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import ClockAction

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_common.outbox import Row as OutboxRow
    from lindung_contracts import (
        ClockChangeRequested,
        Identification,
        ProviderResponded,
        ReferralRequested,
    )

__all__ = [
    "NewCase",
    "ReferralAccess",
    "StoredCase",
    "find_case",
    "find_referral",
    "find_response",
    "insert_case",
    "insert_case_with_event",
    "insert_referral_access",
    "insert_response",
    "mark_withdrawn",
    "set_status",
]


@dataclass(frozen=True)
class StoredCase:
    """What is needed to answer a repeated identification."""

    case_id: UUID
    body_sha256: str


@dataclass(frozen=True)
class ReferralAccess:
    """Who a referral is addressed to."""

    referral_id: UUID
    case_id: UUID
    provider_id: str
    service: str
    status: str = "requested"
    withdrawn_at: datetime | None = None
    paused_at: datetime | None = None


async def find_case(conn: asyncpg.Connection, agency_id: str, reference: str) -> StoredCase | None:
    """The case an agency already opened under this reference."""
    row = await conn.fetchrow(
        "SELECT case_id, body_sha256 FROM cases WHERE agency_id = $1 AND agency_reference = $2",
        agency_id,
        reference,
    )
    return StoredCase(row["case_id"], row["body_sha256"]) if row else None


@dataclass(frozen=True)
class NewCase:
    """A case as intake stores it."""

    case_id: UUID
    agency_id: str
    identification: Identification
    channel: str
    received_at: datetime
    body_sha256: str

    def columns(self) -> tuple[object, ...]:
        """Values for the eight columns of `cases`, in order."""
        return (
            self.case_id,
            self.agency_id,
            self.identification.agency_reference,
            self.channel,
            self.identification.identified_at,
            self.received_at,
            self.body_sha256,
            self.identification.model_dump_json(),
        )


async def insert_case(conn: asyncpg.Connection, case: NewCase) -> bool:
    """Store a new case; False when the agency's reference was taken meanwhile."""
    status = await conn.execute(
        "INSERT INTO cases (case_id, agency_id, agency_reference, channel, identified_at,"
        " received_at, body_sha256, identification) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (agency_id, agency_reference) DO NOTHING",
        *case.columns(),
    )
    return bool(status == "INSERT 0 1")


async def insert_case_with_event(conn: asyncpg.Connection, case: NewCase, event: OutboxRow) -> bool:
    """`insert_case` and, only if the case is new, its outbox row: one atomic statement."""
    status = await conn.fetchval(
        "WITH new_case AS ("
        "  INSERT INTO cases (case_id, agency_id, agency_reference, channel, identified_at,"
        "   received_at, body_sha256, identification) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        "  ON CONFLICT (agency_id, agency_reference) DO NOTHING RETURNING case_id),"
        " queued AS ("
        "  INSERT INTO outbox (event_id, event_type, topic, key, value, headers)"
        "  SELECT $9, $10, $11, $12, $13, $14::jsonb FROM new_case RETURNING 1)"
        " SELECT count(*) FROM queued",
        *case.columns(),
        *event,
    )
    return bool(status == 1)


async def insert_referral_access(
    conn: asyncpg.Connection, referrals: list[ReferralRequested]
) -> None:
    """Remember which provider each referral is addressed to, in one statement."""
    await conn.execute(
        "INSERT INTO referral_access (referral_id, case_id, provider_id, service, requested_at)"
        " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])"
        " ON CONFLICT (referral_id) DO NOTHING",
        [r.referral_id for r in referrals],
        [r.case_id for r in referrals],
        [r.provider_id for r in referrals],
        [r.service.value for r in referrals],
        [r.requested_at for r in referrals],
    )


async def mark_withdrawn(conn: asyncpg.Connection, withdrawn: list[tuple[UUID, datetime]]) -> None:
    """Remember that referrals were taken back from their providers, and when."""
    await conn.execute(
        "UPDATE referral_access a SET withdrawn_at = w.at"
        " FROM unnest($1::uuid[], $2::timestamptz[]) AS w(referral_id, at)"
        " WHERE a.referral_id = w.referral_id AND a.withdrawn_at IS NULL",
        [referral_id for referral_id, _ in withdrawn],
        [at for _, at in withdrawn],
    )


_FIND = (
    "SELECT referral_id, case_id, provider_id, service, status, withdrawn_at, paused_at"
    " FROM referral_access WHERE referral_id = $1"
)
_FIND_LOCKED = _FIND + " FOR UPDATE"


async def set_status(conn: asyncpg.Connection, referral_id: UUID, status: str) -> None:
    """Where a referral stands after its provider's answer."""
    await conn.execute(
        "UPDATE referral_access SET status = $2 WHERE referral_id = $1", referral_id, status
    )


async def insert_clock_change(conn: asyncpg.Connection, request: ClockChangeRequested) -> None:
    """Record a coordinator's pause or resume, and where the referral's clock now stands."""
    paused = request.action is ClockAction.PAUSE
    await conn.execute(
        "UPDATE referral_access SET paused_at = $2 WHERE referral_id = $1",
        request.referral_id,
        request.at if paused else None,
    )
    await conn.execute(
        "INSERT INTO clock_changes (request_id, referral_id, action, coordinator_id, reason, at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        request.request_id,
        request.referral_id,
        request.action.value,
        request.coordinator_id,
        request.reason,
        request.at,
    )


async def find_referral(
    conn: asyncpg.Connection, referral_id: UUID, *, lock: bool = False
) -> ReferralAccess | None:
    """The referral with this id, if intake has heard of it; locked for the transaction."""
    row = await conn.fetchrow(_FIND_LOCKED if lock else _FIND, referral_id)
    return ReferralAccess(**dict(row)) if row else None


async def find_response(conn: asyncpg.Connection, referral_id: UUID, response: str) -> UUID | None:
    """The id of an answer of this kind already given to the referral."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT response_id FROM provider_responses WHERE referral_id = $1 AND response = $2",
        referral_id,
        response,
    )


async def insert_response(conn: asyncpg.Connection, answer: ProviderResponded) -> bool:
    """Store a provider's answer; False when the same kind of answer was already given."""
    status = await conn.execute(
        "INSERT INTO provider_responses (response_id, referral_id, provider_id, response, reason,"
        " responded_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (referral_id, response)"
        " DO NOTHING",
        answer.response_id,
        answer.referral_id,
        answer.provider_id,
        answer.response.value,
        answer.reason,
        answer.responded_at,
    )
    return bool(status == "INSERT 0 1")


async def referral_with_case(conn: asyncpg.Connection, referral_id: UUID) -> asyncpg.Record | None:
    """A referral beside its case's stored identification, or None."""
    return await conn.fetchrow(
        "SELECT r.referral_id, r.case_id, r.provider_id, r.service, r.status, r.requested_at,"
        " r.withdrawn_at, r.paused_at, c.identification"
        " FROM referral_access r JOIN cases c ON c.case_id = r.case_id"
        " WHERE r.referral_id = $1",
        referral_id,
    )


async def case_with_referrals(
    conn: asyncpg.Connection, case_id: UUID
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """A case and every referral intake has heard of for it, oldest first."""
    case = await conn.fetchrow(
        "SELECT case_id, agency_id, agency_reference, identified_at, received_at FROM cases"
        " WHERE case_id = $1",
        case_id,
    )
    if case is None:
        return None
    referrals = await conn.fetch(
        "SELECT referral_id, service, provider_id, status, requested_at, withdrawn_at, paused_at"
        " FROM referral_access WHERE case_id = $1 ORDER BY requested_at, referral_id",
        case_id,
    )
    return case, list(referrals)


async def audit_read(
    conn: asyncpg.Connection,
    *,
    at: datetime,
    reader: tuple[str, str],
    resource: str,
    resource_id: UUID,
    fields: list[str],
    shown: bool,
) -> None:
    """Record one read through the API, shown or refused."""
    await conn.execute(
        "INSERT INTO read_audit (at, reader_kind, reader_id, resource, resource_id, fields, shown)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        at,
        reader[0],
        reader[1],
        resource,
        resource_id,
        fields,
        shown,
    )
