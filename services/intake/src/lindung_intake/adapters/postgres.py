"""Intake's queries. Every function takes a connection inside the caller's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from lindung_contracts import ClockAction

from lindung_intake.domain import Referral, StoredCase

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import (
        ClockChangeRequested,
        IdentificationFacts,
        ProviderResponded,
        ReferralRequested,
    )

    from .sealing import Sealed

__all__ = [
    "NewCase",
    "find_case",
    "find_documented_case",
    "find_referral",
    "find_response",
    "flag_likeness",
    "insert_case",
    "insert_documents",
    "insert_referral_access",
    "insert_response",
    "lock_hashes",
    "mark_withdrawn",
    "personal_by_key",
    "personal_to_reseal",
    "reseal",
    "set_status",
]


async def find_case(conn: asyncpg.Connection, agency_id: str, reference: str) -> StoredCase | None:
    """The case an agency already opened under this reference."""
    row = await conn.fetchrow(
        "SELECT case_id, body_sha256, linked_to FROM cases"
        " WHERE agency_id = $1 AND agency_reference = $2",
        agency_id,
        reference,
    )
    return StoredCase(**dict(row)) if row else None


@dataclass(frozen=True)
class NewCase:
    """A case as intake stores it: personal details only sealed, in their own column."""

    case_id: UUID
    agency_id: str
    identification: IdentificationFacts
    channel: str
    received_at: datetime
    body_sha256: str
    personal: Sealed | None = None
    linked_to: UUID | None = None

    def columns(self) -> tuple[object, ...]:
        """Values for the eleven columns `insert_case` writes, in order."""
        return (
            self.case_id,
            self.agency_id,
            self.identification.agency_reference,
            self.channel,
            self.identification.identified_at,
            self.received_at,
            self.body_sha256,
            self.identification.model_dump_json(exclude={"personal"}),
            self.personal.blob if self.personal else None,
            self.personal.key_id if self.personal else None,
            self.linked_to,
        )


async def insert_case(conn: asyncpg.Connection, case: NewCase) -> bool:
    """Store a new case; False when the agency's reference was taken meanwhile."""
    status = await conn.execute(
        "INSERT INTO cases (case_id, agency_id, agency_reference, channel, identified_at,"
        " received_at, body_sha256, identification, personal, personal_key_id, linked_to)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (agency_id, agency_reference) DO NOTHING",
        *case.columns(),
    )
    return bool(status == "INSERT 0 1")


async def lock_hashes(conn: asyncpg.Connection, hashes: list[bytes]) -> None:
    """Serialise identifications naming the same document or likeness, to the transaction's end.

    Two agencies reporting the same child at the same moment must not both open a case.
    """
    keys = sorted({int.from_bytes(h[:8], "big", signed=True) for h in hashes})
    if keys:
        await conn.execute("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", keys)


async def find_documented_case(conn: asyncpg.Connection, documents: list[bytes]) -> UUID | None:
    """The first case that named any of these documents, or None."""
    if not documents:
        return None
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT d.case_id FROM case_documents d JOIN cases c USING (case_id)"
        " WHERE d.document_hmac = ANY($1::bytea[]) ORDER BY c.received_at, c.case_id LIMIT 1",
        documents,
    )


async def insert_documents(conn: asyncpg.Connection, case_id: UUID, documents: list[bytes]) -> None:
    """Remember the documents a case named; the first case to name one keeps it."""
    if not documents:
        return  # most identifications name none: no round trip for nothing
    await conn.execute(
        "INSERT INTO case_documents (document_hmac, case_id)"
        " SELECT d, $2 FROM unnest($1::bytea[]) AS d ON CONFLICT DO NOTHING",
        documents,
        case_id,
    )


async def flag_likeness(
    conn: asyncpg.Connection, case_id: UUID, root: UUID, likeness: bytes, at: datetime
) -> list[UUID]:
    """Record a case's likeness; flag (never merge) other cases alike. Returns them."""
    others: list[UUID] = [
        r["root"]
        for r in await conn.fetch(
            "SELECT DISTINCT coalesce(c.linked_to, c.case_id) AS root"
            " FROM case_likenesses l JOIN cases c USING (case_id)"
            " WHERE l.likeness_hmac = $1 AND coalesce(c.linked_to, c.case_id) <> $2",
            likeness,
            root,
        )
    ]
    await conn.execute(
        "INSERT INTO case_likenesses (likeness_hmac, case_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING",
        likeness,
        case_id,
    )
    if others:
        await conn.execute(
            "INSERT INTO possible_duplicates (case_id, other_case_id, flagged_at)"
            " SELECT a, b, $3 FROM unnest($1::uuid[], $2::uuid[]) AS p(a, b)"
            " ON CONFLICT DO NOTHING",
            [root] * len(others) + others,
            others + [root] * len(others),
            at,
        )
    return others


async def insert_referral_access(
    conn: asyncpg.Connection, referrals: list[ReferralRequested], *, announce_on: str
) -> None:
    """Remember which provider each referral is addressed to, and announce each: one statement.

    Every referral id is sent on the channel `announce_on` (NOTIFY, delivered at commit):
    the news that wakes requests waiting on one (`adapters/news.py`).
    """
    await conn.execute(
        "WITH stored AS (INSERT INTO referral_access"
        " (referral_id, case_id, provider_id, service, requested_at, due_at, escalation,"
        " matched_by, passed_over, matched_tier)"
        " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],"
        " $5::timestamptz[], $6::timestamptz[], $7::jsonb[], $9::text[], $10::jsonb[],"
        " $11::text[])"
        " ON CONFLICT (referral_id) DO NOTHING)"
        " SELECT pg_notify($8, r::text) FROM unnest($1::uuid[]) AS r",
        [r.referral_id for r in referrals],
        [r.case_id for r in referrals],
        [r.provider_id for r in referrals],
        [r.service.value for r in referrals],
        [r.requested_at for r in referrals],
        [r.due_at for r in referrals],
        [_ladder(r) for r in referrals],
        announce_on,
        [r.matched_by for r in referrals],
        [_passed_over(r) for r in referrals],
        [r.matched_tier.value if r.matched_tier is not None else None for r in referrals],
    )


def _ladder(referral: ReferralRequested) -> str:
    """A referral's planned escalation steps, as the desk reads them (no personal data)."""
    return json.dumps([s.model_dump(mode="json", include=_STEP) for s in referral.escalation])


_STEP: Final = {"kind", "level", "at", "notify"}


def _passed_over(referral: ReferralRequested) -> str:
    """The better-ranked providers the router passed over, and why: ids and codes."""
    return json.dumps([p.model_dump(mode="json") for p in referral.passed_over])


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
        request.reason.value,
        request.at,
    )


async def find_referral(
    conn: asyncpg.Connection, referral_id: UUID, *, lock: bool = False
) -> Referral | None:
    """The referral with this id, if intake has heard of it; locked for the transaction."""
    row = await conn.fetchrow(_FIND_LOCKED if lock else _FIND, referral_id)
    return Referral(**dict(row)) if row else None


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
        answer.reason.value if answer.reason is not None else None,
        answer.responded_at,
    )
    return bool(status == "INSERT 0 1")


async def referral_with_case(conn: asyncpg.Connection, referral_id: UUID) -> asyncpg.Record | None:
    """A referral beside its case's stored identification (None if not here), or None."""
    return await conn.fetchrow(
        "SELECT r.referral_id, r.case_id, r.provider_id, r.service, r.status, r.requested_at,"
        " r.withdrawn_at, r.paused_at, c.identification, c.personal, c.personal_key_id"
        " FROM referral_access r LEFT JOIN cases c ON c.case_id = r.case_id"
        " WHERE r.referral_id = $1",
        referral_id,
    )


async def case_with_referrals(
    conn: asyncpg.Connection, case_id: UUID
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """A case, every referral intake has heard of for it (oldest first), and more.

    The case row carries `reporters` (each agency that reported the child, the first
    one first) and `possible_duplicates` (cases alike by name and date of birth).
    """
    case = await conn.fetchrow(
        "SELECT c.case_id, c.agency_id, c.agency_reference, c.identified_at, c.received_at,"
        " (SELECT array_agg(r.agency_id ORDER BY r.received_at) FROM cases r"
        "   WHERE r.case_id = c.case_id OR r.linked_to = c.case_id) AS reporters,"
        " (SELECT coalesce(array_agg(p.other_case_id ORDER BY p.flagged_at), '{}')"
        "   FROM possible_duplicates p WHERE p.case_id = c.case_id) AS possible_duplicates"
        " FROM cases c WHERE c.case_id = $1 AND c.linked_to IS NULL",
        case_id,
    )
    if case is None:
        return None
    referrals = await conn.fetch(
        "SELECT referral_id, service, provider_id, status, requested_at, withdrawn_at, paused_at,"
        " matched_by, passed_over FROM referral_access WHERE case_id = $1"
        " ORDER BY requested_at, referral_id",
        case_id,
    )
    return case, list(referrals)


async def personal_to_reseal(
    conn: asyncpg.Connection, old_key_ids: tuple[str, ...], limit: int
) -> list[asyncpg.Record]:
    """Cases whose personal details one of these keys sealed, locked, at most `limit`."""
    return list(
        await conn.fetch(
            "SELECT case_id, personal, personal_key_id FROM cases"
            " WHERE personal_key_id = ANY($1::text[]) ORDER BY case_id LIMIT $2"
            " FOR UPDATE SKIP LOCKED",
            list(old_key_ids),
            limit,
        )
    )


async def reseal(conn: asyncpg.Connection, case_id: UUID, sealed: Sealed) -> None:
    """Replace a case's sealed personal details."""
    await conn.execute(
        "UPDATE cases SET personal = $2, personal_key_id = $3 WHERE case_id = $1",
        case_id,
        sealed.blob,
        sealed.key_id,
    )


async def personal_by_key(conn: asyncpg.Connection) -> dict[str, int]:
    """How many cases each data key sealed."""
    rows = await conn.fetch(
        "SELECT personal_key_id, count(*) AS n FROM cases"
        " WHERE personal_key_id IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    return {r["personal_key_id"]: r["n"] for r in rows}


async def read_audit(
    conn: asyncpg.Connection,
    *,
    resource: UUID | None = None,
    reader: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[asyncpg.Record]:
    """Recorded reads, newest first, filtered by what was read, by whom, since when."""
    return list(
        await conn.fetch(
            "SELECT at, reader_kind, reader_id, reader_person, resource, resource_id, fields, shown"
            " FROM read_audit WHERE ($1::uuid IS NULL OR resource_id = $1)"
            " AND ($2::text IS NULL OR reader_id = $2) AND ($3::timestamptz IS NULL OR at >= $3)"
            " ORDER BY at DESC, id DESC LIMIT $4 OFFSET $5",
            resource,
            reader,
            since,
            limit,
            offset,
        )
    )


async def audit_read(
    conn: asyncpg.Connection,
    *,
    at: datetime,
    reader: tuple[str, str],
    resource: str,
    resource_id: UUID,
    fields: list[str],
    shown: bool,
    person: str = "",
) -> None:
    """Record one read through the API or the desk (`person`: who signed in), shown or not."""
    await conn.execute(
        "INSERT INTO read_audit"
        " (at, reader_kind, reader_id, reader_person, resource, resource_id, fields, shown)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        at,
        reader[0],
        reader[1],
        person or None,
        resource,
        resource_id,
        fields,
        shown,
    )
