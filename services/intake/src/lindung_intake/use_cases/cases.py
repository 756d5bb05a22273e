"""Identifications opening (or joining) cases, and reading a case and the read audit.

Each use case is one unit of work: load, decide (`lindung_intake.domain`), save, emit.
The Kafka door runs `open_in` inside its batch's unit; HTTP gets a unit of its own.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from lindung_intake.adapters import postgres as db
from lindung_intake.adapters.closing import closing_of
from lindung_intake.domain import (
    Linker,
    decide_opening,
    fingerprint,
    may_read_case,
    not_found,
)
from lindung_intake.use_cases.errors import refused

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_common import Units, Work
    from lindung_contracts import IdentificationFacts, PersonalDetails

    from lindung_intake.adapters.sealing import DataKeys, Sealed
    from lindung_intake.domain import OpenedCase, Principal

__all__ = ["CaseRead", "Cases", "passed_over_of"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CaseRead:
    """A case as an agency that reported it reads it: its referrals and where they stand."""

    case_id: UUID
    agency_reference: str
    identified_at: datetime
    received_at: datetime
    reported_by: list[str]
    possible_duplicates: list[UUID]
    referrals: list[dict[str, Any]]
    # What became of the child, once the router closed the case; None while it is open.
    closed: dict[str, Any] | None = None


class Cases:
    """Cases: opened from identifications, read by their agencies and coordinators."""

    def __init__(
        self,
        units: Units,
        *,
        secret: bytes,
        data_keys: DataKeys,
        clock_skew_seconds: int,
        oldest_identification_days: int = 30,
    ) -> None:
        self._units = units
        self._data_keys = data_keys
        self._linker = Linker(secret)
        self._fingerprint_key = hmac.new(secret, b"lindung/fingerprint/v1", "sha256").digest()
        self._skew = timedelta(seconds=clock_skew_seconds)
        self._oldest = timedelta(days=oldest_identification_days)

    async def open_case(
        self, agency_id: str, identification: IdentificationFacts, *, channel: str
    ) -> OpenedCase:
        """Store a new case and queue CaseOpened; the same reference returns the same case."""
        async with self._units.open() as work:
            return await self.open_in(work, agency_id, identification, channel)

    async def open_in(
        self, work: Work, agency_id: str, identification: IdentificationFacts, channel: str
    ) -> OpenedCase:
        """Open, join or repeat a case inside `work`; raises a `ClientError` when refused.

        A child already known by a document number joins that case: stored, linked, and
        no CaseOpened, so no second set of referrals. A name and date of birth seen in
        another case only flags the two for a coordinator.
        """
        conn = work.conn
        personal: PersonalDetails | None = getattr(identification, "personal", None)
        documents = self._linker.documents(personal)
        likeness = self._linker.likeness(personal)
        reference = self._linker.reference(agency_id, identification.agency_reference)
        # Load, with identifications naming the same reference or document decided in turn.
        await db.lock_hashes(conn, [reference, *documents, *([likeness] if likeness else [])])
        existing = await db.find_case(conn, agency_id, identification.agency_reference)
        documented = await db.find_documented_case(conn, documents) if existing is None else None
        case_id = work.new_id()
        body_hash = fingerprint(identification, self._fingerprint_key)
        opening = decide_opening(
            identification,
            agency_id=agency_id,
            fingerprint=body_hash,
            existing=existing,
            documented=documented,
            case_id=case_id,
            now=work.now,
            skew=self._skew,
            oldest=self._oldest,
        )
        if opening.refusal is not None:
            raise refused(opening.refusal)
        opened = opening.opened
        assert opened is not None  # a decision without a refusal lands somewhere; for mypy
        if opening.store:
            case = db.NewCase(
                case_id,
                agency_id,
                identification,
                channel,
                work.now,
                body_hash,
                personal=self._seal(personal, case_id),
                linked_to=documented,
            )
            if not await db.insert_case(conn, case):  # pragma: no cover - the reference is locked
                raise RuntimeError("case reference taken while locked")
            await db.insert_documents(conn, opened.case_id, documents)
            if likeness is not None:
                alike = await db.flag_likeness(conn, case_id, opened.case_id, likeness, work.now)
                if alike:
                    log.info("possible duplicate flagged", case_id=str(opened.case_id),
                             alike=[str(a) for a in alike])  # fmt: skip
        if opening.event is not None:
            work.emit(opening.event)
        work.after_commit(lambda: _log_opened(opened, agency_id, channel))
        return opened

    async def read_case(self, principal: Principal, case_id: UUID) -> CaseRead:
        """The reporting agency's view of its case; every read, refused or not, audited."""
        async with self._units.open() as work:
            found = await db.case_with_referrals(work.conn, case_id)
            read = None
            if found is not None and may_read_case(principal, found[0]["reporters"]):
                read = _case_read(*found, await closing_of(work.conn, case_id))
            await db.audit_read(
                work.conn,
                at=work.now,
                reader=(principal.kind.value, principal.id),
                resource="case",
                resource_id=case_id,
                fields=["case", "referrals"] if read else [],
                shown=read is not None,
                person=principal.person,
            )
        if read is None:
            raise refused(not_found("case", case_id))
        return read

    async def read_audit(
        self,
        *,
        resource: UUID | None,
        reader: str | None,
        since: datetime | None,
        limit: int,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The read audit, newest first (for operations: who read what, when, which fields)."""
        async with self._units.connection() as work:
            rows = await db.read_audit(
                work.conn, resource=resource, reader=reader, since=since, limit=limit,
                offset=offset,
            )  # fmt: skip
        return [dict(row) for row in rows]

    def _seal(self, personal: PersonalDetails | None, case_id: UUID) -> Sealed | None:
        if personal is None:
            return None
        return self._data_keys.seal(personal.model_dump_json().encode(), bound_to=case_id.bytes)


def _case_read(case: Any, referrals: list[Any], closing: Any) -> CaseRead:
    return CaseRead(
        case_id=case["case_id"],
        agency_reference=case["agency_reference"],
        identified_at=case["identified_at"],
        received_at=case["received_at"],
        reported_by=list(case["reporters"]),
        possible_duplicates=list(case["possible_duplicates"]),
        referrals=[_referral_line(r) for r in referrals],
        closed=_closed(closing),
    )


def _closed(closing: Any) -> dict[str, Any] | None:
    if closing is None or closing["closed_at"] is None:
        return None
    return {
        "outcome": closing["outcome"],
        "reason": closing["reason"],
        "closed_by": closing["coordinator_id"],
        "closed_at": closing["closed_at"],
    }


def _referral_line(row: Any) -> dict[str, Any]:
    return {
        "referral_id": row["referral_id"],
        "service": row["service"],
        "provider_id": row["provider_id"],
        "status": "withdrawn" if row["withdrawn_at"] is not None else row["status"],
        "requested_at": row["requested_at"],
        "paused_since": row["paused_at"],
        "matched_by": row["matched_by"],
        "passed_over": passed_over_of(row["passed_over"]),
    }


def passed_over_of(stored: Any) -> list[dict[str, str]]:
    """A `passed_over` jsonb column (text from asyncpg) as a list of {provider_id, reason}."""
    loaded = json.loads(stored) if isinstance(stored, str) else stored
    return list(loaded or [])


def _log_opened(opened: OpenedCase, agency_id: str, channel: str) -> None:
    if opened.linked and opened.created:
        log.info("identification linked to a known case", case_id=str(opened.case_id),
                 agency_id=agency_id, channel=channel)  # fmt: skip
    elif opened.created:
        log.info("case opened", case_id=str(opened.case_id), agency_id=agency_id, channel=channel)
