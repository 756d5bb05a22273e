"""What a coordinator reads at the desk: a case, its referrals and ladders, its timeline.

A coordinator (or supervisor) works on the cases of the states they cover; any other
case, like an unknown one, is not found, and the refused look is audited. The case
itself is read through `Cases.read_case` (what the API gives a coordinator, audited).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from lindung_intake.adapters import coordination as db
from lindung_intake.adapters import notes as sealed_notes
from lindung_intake.adapters.postgres import audit_read
from lindung_intake.adapters.sealing import Sealed
from lindung_intake.domain import Refusal, not_found
from lindung_intake.domain.coordination import (
    LadderStep,
    Moment,
    covers_case,
    decide_case_note,
    ladder,
    timeline,
)
from lindung_intake.domain.desk import Place, standing
from lindung_intake.use_cases.cases import passed_over_of
from lindung_intake.use_cases.errors import refused
from lindung_intake.use_cases.notes import NoteRead, store_note

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_common import Units

    from lindung_intake.adapters.sealing import DataKeys
    from lindung_intake.domain import Alert, Principal
    from lindung_intake.use_cases.cases import CaseRead, Cases

__all__ = ["CasePage", "Coordination", "ReferralLine"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReferralLine:
    """One referral of the case as its coordinator sees it: where it stands, its ladder."""

    referral_id: UUID
    service: str
    provider_id: str
    status: str  # `withdrawn` once taken back
    requested_at: datetime
    due_at: datetime | None
    paused: bool
    place: Place
    steps: list[LadderStep]
    matched_by: str | None = None
    # `matched_by` as a code (`lindung_contracts.MatchedTier`), for the reader's words.
    matched_tier: str | None = None
    # The better-ranked providers not asked: [{provider_id, reason}], reason a code.
    passed_over: tuple[dict[str, str], ...] = ()

    @property
    def waiting(self) -> bool:
        """Still awaiting its provider's acceptance."""
        return self.status == "requested"


@dataclass(frozen=True)
class CasePage:
    """A case at the coordinator's desk."""

    case: CaseRead
    state: str | None
    referrals: list[ReferralLine]
    alerts: list[Alert]
    moments: list[Moment]
    notes: list[NoteRead]  # the coordinators' sealed notes on the case, opened


class Coordination:
    """The coordinator's reads of cases and referrals."""

    def __init__(self, units: Units, cases: Cases, *, data_keys: DataKeys) -> None:
        self._units = units
        self._cases = cases
        self._data_keys = data_keys

    async def case_of_referral(self, principal: Principal, referral_id: UUID) -> UUID:
        """The case of a referral in the caller's states; else not found (the look audited)."""
        async with self._units.open() as work:
            row = await db.case_of(work.conn, referral_id)
            if row is not None and covers_case(principal, row["state"]):
                case_id: UUID = row["case_id"]
                return case_id
            await _refused_look(work, principal, "referral", referral_id)
        raise refused(not_found("referral", referral_id))  # after the look's audit is kept

    async def case_page(self, principal: Principal, case_id: UUID) -> CasePage:
        """A case of the caller's states, read (and audited) as the API reads it."""
        async with self._units.open() as work:
            known, state = await db.case_state(work.conn, case_id)
            shown = known and covers_case(principal, state)
            if not shown:
                await _refused_look(work, principal, "case", case_id)
        if not shown:
            raise refused(not_found("case", case_id))  # after the look's audit is kept
        read = await self._cases.read_case(principal, case_id)
        async with self._units.open() as work:
            rows = await db.case_rows(work.conn, case_id)
            notes = [self._opened(n) for n in await db.case_notes(work.conn, case_id)]
            if notes:
                await audit_read(
                    work.conn, at=work.now, reader=(principal.kind.value, principal.id),
                    resource="notes", resource_id=case_id,
                    fields=[f"notes.{n.note_id}" for n in notes], shown=True,
                    person=principal.person,
                )  # fmt: skip
            now = work.now
        return _page(read, state, rows, now, notes)

    async def add_note(self, principal: Principal, case_id: UUID, words: str | None) -> UUID:
        """Keep a coordinator's note on a case of their states, sealed; the note's id."""
        async with self._units.open() as work:
            known, state = await db.case_state(work.conn, case_id)
            decided = decide_case_note(
                principal, known=known, state=state, case_id=case_id, words=words,
                note_id=work.new_id(), at=work.now,
            )  # fmt: skip
            if isinstance(decided, Refusal):
                raise refused(decided)
            await store_note(work.conn, self._data_keys, decided)
            work.after_commit(
                lambda: log.info("case note kept", case_id=str(case_id),
                                 note_id=str(decided.note_id), coordinator_id=principal.id)
            )  # fmt: skip
            return decided.note_id

    def _opened(self, row: Any) -> NoteRead:
        sealed = Sealed(row["words_key_id"], bytes(row["words"]))
        return NoteRead(
            note_id=row["note_id"], about=row["about"], reason=row["reason"],
            writer_kind=row["writer_kind"], writer_id=row["writer_id"],
            written_at=row["written_at"],
            words=sealed_notes.open_words(self._data_keys, row["note_id"], sealed),
        )  # fmt: skip

    async def providers_of(self, service: str) -> list[str]:
        """Providers of a service that intake has seen referrals go to (to choose among)."""
        async with self._units.connection() as work:
            return await db.providers_of(work.conn, service)


async def _refused_look(work: Any, principal: Principal, what: str, resource_id: UUID) -> None:
    await audit_read(
        work.conn, at=work.now, reader=(principal.kind.value, principal.id), resource=what,
        resource_id=resource_id, fields=[], shown=False, person=principal.person,
    )  # fmt: skip


def _page(
    read: CaseRead, state: str | None, rows: dict[str, Any], now: datetime, notes: list[NoteRead]
) -> CasePage:
    alerts: list[Alert] = rows["alerts"]
    fired: dict[UUID, set[int]] = {}
    for alert in alerts:
        if alert.referral_id is not None and alert.escalation_level is not None:
            fired.setdefault(alert.referral_id, set()).add(alert.escalation_level)
    lines = [_line(r, fired.get(r["referral_id"], set()), now) for r in rows["referrals"]]
    return CasePage(read, state, lines, alerts, _moments(read, rows), notes)


def _line(row: Any, fired: set[int], now: datetime) -> ReferralLine:
    withdrawn = row["withdrawn_at"] is not None
    status = "withdrawn" if withdrawn else row["status"]
    planned = row["escalation"]
    if isinstance(planned, str):
        planned = json.loads(planned)
    paused = row["paused_at"] is not None
    place = standing(
        status=row["status"], withdrawn=withdrawn, requested_at=row["requested_at"],
        due_at=row["due_at"], paused=paused, now=now,
    )  # fmt: skip
    return ReferralLine(
        referral_id=row["referral_id"],
        service=row["service"],
        provider_id=row["provider_id"],
        status=status,
        requested_at=row["requested_at"],
        due_at=row["due_at"],
        paused=paused,
        place=place,
        steps=ladder(planned or [], fired_levels=fired, waiting=status == "requested", now=now),
        matched_by=row["matched_by"],
        matched_tier=row["matched_tier"],
        passed_over=tuple(passed_over_of(row["passed_over"])),
    )


def _moments(read: CaseRead, rows: dict[str, Any]) -> list[Moment]:
    """The case's timeline from what intake keeps (ids, codes, times; no words)."""
    found = [
        Moment(read.identified_at, "identified"),
        Moment(read.received_at, "received", who=read.reported_by[0] if read.reported_by else ""),
    ]
    for r in rows["referrals"]:
        rid = str(r["referral_id"])
        found.append(Moment(r["requested_at"], "referred", rid, r["provider_id"], r["service"]))
        if r["withdrawn_at"] is not None:
            found.append(Moment(r["withdrawn_at"], "taken_back", rid, r["provider_id"]))
    found += [
        Moment(p["responded_at"], f"answer_{p['response']}", str(p["referral_id"]),
               p["provider_id"], p["reason"] or "")
        for p in rows["responses"]
    ]  # fmt: skip
    found += [
        Moment(c["at"], f"clock_{c['action']}", str(c["referral_id"]), c["coordinator_id"],
               c["reason"])
        for c in rows["clocks"]
    ]  # fmt: skip
    found += [
        Moment(m["at"], "moved", str(m["referral_id"]), m["coordinator_id"], m["reason"],
               {"to": m["provider_id"] or ""})
        for m in rows["moves"]
    ]  # fmt: skip
    for a in rows["alerts"]:
        rid = str(a.referral_id or "")
        found.append(Moment(a.raised_at, f"alert_{a.kind.value}", rid, a.notify,
                            str(a.escalation_level or "")))  # fmt: skip
        if a.acknowledged_at is not None:
            found.append(Moment(a.acknowledged_at, "acknowledged", rid, a.acknowledged_by or "",
                                a.kind.value))  # fmt: skip
    if read.closed is not None:
        found.append(Moment(read.closed["closed_at"], "closed", who=read.closed["closed_by"],
                            code=read.closed["outcome"]))  # fmt: skip
    return timeline(found)
