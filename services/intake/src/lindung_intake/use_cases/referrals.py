"""A provider answering or reading a referral, a coordinator pausing or resuming its clock.

Each use case is one unit of work: load, decide (`lindung_intake.domain`), save, emit.
A referral intake has not heard of yet is waited for between looks (`waiting.py`),
holding no connection; its own time is when the request arrived.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from lindung_intake.adapters import postgres as db
from lindung_intake.adapters.sealing import Sealed
from lindung_intake.domain import (
    Referral,
    Refusal,
    check_response,
    decide_answer,
    decide_clock_change,
    may_know,
    not_found,
    pick,
    readable_fields,
    trimmed,
)
from lindung_intake.use_cases.errors import Invalid, refused
from lindung_intake.use_cases.notes import carry_out, note_words, store_note

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_common import Units
    from lindung_contracts import ClockAction, Outcome, ReasonCode, ResponseKind

    from lindung_intake.adapters.sealing import DataKeys
    from lindung_intake.domain import Principal
    from lindung_intake.use_cases.waiting import Arrivals

__all__ = ["ReferralRead", "Referrals"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReferralRead:
    """A referral as its provider reads it: where it stands, and what its service needs."""

    referral_id: UUID
    case_id: UUID
    service: str
    status: str
    requested_at: datetime
    paused_since: datetime | None
    shared: dict[str, Any]


class Referrals:
    """What providers and coordinators do with a referral, through the API."""

    def __init__(self, units: Units, arrivals: Arrivals, *, data_keys: DataKeys) -> None:
        self._units = units
        self._arrivals = arrivals
        self._data_keys = data_keys

    async def respond(
        self,
        principal: Principal,
        referral_id: UUID,
        response: ResponseKind,
        reason: ReasonCode | None,
        note: str | None = None,
        *,
        outcome: Outcome | None = None,
        outcome_reason: ReasonCode | None = None,
    ) -> UUID:
        """Record a provider's answer (its note sealed) and queue ProviderResponded.

        A completion may say what was done for the child (`outcome`, and why as a code when
        short of delivered). A repeat is a no-op. The event carries the codes, never the
        note's words.
        """
        errors = check_response(
            response, reason, note, outcome=outcome, outcome_reason=outcome_reason
        )
        if errors:
            raise Invalid(errors)
        words = trimmed(note) if note is not None else None
        responded_at = self._units.events.now()

        async def look(last: bool) -> UUID | None:  # noqa: FBT001 - the one flag of a look
            async with self._units.open() as work:
                # Locked: two answers to one referral at once are decided one after the other.
                referral = await db.find_referral(work.conn, referral_id, lock=True)
                known = may_know(referral, principal)
                if not (known or last):
                    return None
                previous = (
                    await db.find_response(work.conn, referral_id, response.value)
                    if known
                    else None
                )
                answering = decide_answer(
                    referral,
                    principal,
                    referral_id=referral_id,
                    response=response,
                    reason=reason,
                    note=words,
                    outcome=outcome,
                    outcome_reason=outcome_reason,
                    previous=previous,
                    response_id=work.new_id(),
                    note_id=work.new_id(),
                    responded_at=responded_at,
                )
                if answering.refusal is not None:
                    raise refused(answering.refusal)
                if answering.answer is None or answering.status is None:
                    return answering.repeat_of  # the same answer again changes nothing
                answer = answering.answer
                if not await db.insert_response(work.conn, answer):  # pragma: no cover - locked
                    raise RuntimeError("an answer of this kind was stored while locked")
                await db.set_status(work.conn, referral_id, answering.status.value)
                if answering.note is not None:
                    await store_note(work.conn, self._data_keys, answering.note)
                work.emit(answer)
                work.after_commit(
                    lambda: log.info("provider responded", case_id=str(answer.case_id),
                                     referral_id=str(referral_id), response=response.value)
                )  # fmt: skip
                return answer.response_id

        return await self._arrivals.first_sight(principal, referral_id, look)

    async def change_clock(
        self,
        principal: Principal,
        referral_id: UUID,
        action: ClockAction,
        reason: ReasonCode,
        note: str | None = None,
    ) -> UUID:
        """Record a coordinator's pause or resume (its note sealed) and queue it; 409 if not now.

        The event carries the reason code, never the note's words.
        """
        words = note_words(note)
        at = self._units.events.now()

        async def look(last: bool) -> UUID | None:  # noqa: FBT001 - the one flag of a look
            async with self._units.open() as work:
                referral = await db.find_referral(work.conn, referral_id, lock=True)
                if not (last or may_know(referral, principal)):
                    return None
                changing = decide_clock_change(
                    referral,
                    principal,
                    referral_id=referral_id,
                    action=action,
                    reason=reason,
                    note=words,
                    request_id=work.new_id(),
                    note_id=work.new_id(),
                    at=at,
                )
                keys = self._data_keys
                request = await carry_out(work, keys, changing, db.insert_clock_change)
                work.after_commit(
                    lambda: log.info("referral clock change requested",
                                     case_id=str(request.case_id), referral_id=str(referral_id),
                                     action=action.value, coordinator_id=principal.id)
                )  # fmt: skip
                return request.request_id

        return await self._arrivals.first_sight(principal, referral_id, look)

    async def read(self, principal: Principal, referral_id: UUID) -> ReferralRead:
        """The addressed provider's view of a referral; every read, refused or not, audited."""
        at = self._units.events.now()

        async def look(last: bool) -> ReferralRead | Refusal | None:  # noqa: FBT001
            async with self._units.open() as work:
                row = await db.referral_with_case(work.conn, referral_id)
                referral = _referral(row)
                if not (last or may_know(referral, principal)):
                    return None
                document = _document(row["identification"]) if row is not None else {}
                fields = readable_fields(referral, principal, document)
                shown = None
                if row is not None and fields is not None:
                    if any(f.startswith("personal.") for f in fields):
                        document["personal"] = self._unseal(row)
                    shown = ReferralRead(
                        referral_id=referral_id,
                        case_id=row["case_id"],
                        service=row["service"],
                        status=row["status"],
                        requested_at=row["requested_at"],
                        paused_since=row["paused_at"],
                        shared=pick(document, fields),
                    )
                await db.audit_read(
                    work.conn,
                    at=at,
                    reader=(principal.kind.value, principal.id),
                    resource="referral",
                    resource_id=referral_id,
                    fields=list(fields or ()) if shown else [],
                    shown=shown is not None,
                    person=principal.person,
                )
            return shown or not_found("referral", referral_id)

        read: ReferralRead | Refusal = await self._arrivals.first_sight(
            principal, referral_id, look
        )
        if isinstance(read, Refusal):
            raise refused(read)
        return read

    def _unseal(self, row: Any) -> dict[str, Any]:
        """A case row's personal details, opened; empty when it has none."""
        if row["personal"] is None:
            return {}
        sealed = Sealed(row["personal_key_id"], row["personal"])
        opened: dict[str, Any] = json.loads(
            self._data_keys.open(sealed, bound_to=row["case_id"].bytes)
        )
        return opened


def _referral(row: Any) -> Referral | None:
    """The referral part of a `referral_with_case` row."""
    if row is None:
        return None
    return Referral(
        referral_id=row["referral_id"],
        case_id=row["case_id"],
        provider_id=row["provider_id"],
        service=row["service"],
        status=row["status"],
        withdrawn_at=row["withdrawn_at"],
        paused_at=row["paused_at"],
    )


def _document(stored: Any) -> dict[str, Any]:
    """A jsonb column as asyncpg returns it (text), as a dict."""
    loaded = json.loads(stored) if isinstance(stored, str) else stored
    return loaded if isinstance(loaded, dict) else {}
