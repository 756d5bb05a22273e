"""Notes: stored sealed with the answer or clock change they go with, read through the API.

Reading a referral's notes is a unit of work like every other read: load, decide who
reads which (`lindung_intake.domain`), open only those, record the read in the audit,
shown or refused. No wait: a note exists only once intake knows its referral.

Words older versions stored in plaintext (a reason was free text then) are sealed into
notes at start (`OldWords`, a task of the service) and by `data-keys rotate`
(`seal_old_words`), leaving the code `other` in their place.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import structlog
from lindung_common import classify
from lindung_contracts import ClockAction, ReasonCode, ResponseKind

from lindung_intake.adapters import notes as stored
from lindung_intake.adapters import postgres as db
from lindung_intake.adapters.sealing import Sealed
from lindung_intake.domain import (
    Note,
    PrincipalKind,
    about_answer,
    about_clock,
    check_note,
    may_read_note,
    may_read_notes,
    not_found,
    trimmed,
)
from lindung_intake.use_cases.errors import Invalid, refused

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_common import Units, Work
    from lindung_contracts import Payload

    from lindung_intake.adapters.sealing import DataKeys
    from lindung_intake.domain import Principal, Refusal

__all__ = [
    "NoteRead",
    "Notes",
    "NotesRead",
    "OldWords",
    "carry_out",
    "note_words",
    "seal_old_words",
    "store_note",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class NoteRead:
    """One note as its reader sees it."""

    note_id: UUID
    about: str
    reason: str
    writer_kind: str
    writer_id: str
    written_at: datetime
    words: str = field(repr=False)


@dataclass(frozen=True)
class NotesRead:
    """The notes of a referral the caller reads, oldest first."""

    referral_id: UUID
    notes: list[NoteRead]


async def store_note(conn: asyncpg.Connection, keys: DataKeys, note: Note) -> None:
    """Store a note with its words sealed, inside the caller's unit of work."""
    await stored.insert_note(conn, note, stored.seal_words(keys, note.note_id, note.words))


def note_words(note: str | None) -> str | None:
    """A person's note as it is kept: checked (Invalid, naming why) and trimmed."""
    errors = check_note(note)
    if errors:
        raise Invalid(errors)
    return trimmed(note) if note is not None else None


_R = TypeVar("_R", bound="Payload")
_R_co = TypeVar("_R_co", bound="Payload", covariant=True)


class Decided(Protocol[_R_co]):
    """A person's request as the domain decided it: the request and its note, or a refusal."""

    @property
    def request(self) -> _R_co | None: ...
    @property
    def note(self) -> Note | None: ...
    @property
    def refusal(self) -> Refusal | None: ...


async def carry_out(
    work: Work,
    keys: DataKeys,
    decided: Decided[_R],
    record: Callable[[asyncpg.Connection, _R], Awaitable[None]],
) -> _R:
    """Do what was decided, in the caller's unit of work; a refusal raised as a client error.

    The request is `record`ed, its note sealed beside it, and the request queued on Kafka.
    """
    if decided.refusal is not None:
        raise refused(decided.refusal)
    request = decided.request
    assert request is not None  # a decision without a refusal; for mypy
    await record(work.conn, request)
    if decided.note is not None:
        await store_note(work.conn, keys, decided.note)
    work.emit(request)
    return request


class Notes:
    """A referral's notes, read through the API."""

    def __init__(self, units: Units, *, data_keys: DataKeys) -> None:
        self._units = units
        self._data_keys = data_keys

    async def read(self, principal: Principal, referral_id: UUID) -> NotesRead:
        """The notes of a referral this caller may read; every read, refused or not, audited."""
        async with self._units.open() as work:
            referral = await db.find_referral(work.conn, referral_id)
            shown: NotesRead | None = None
            if may_read_notes(referral, principal):
                rows = await stored.notes_of(work.conn, referral_id)
                mine = [
                    row
                    for row in rows
                    if may_read_note(principal, row["writer_kind"], row["writer_id"])
                ]
                shown = NotesRead(referral_id, [self._opened(row) for row in mine])
            await db.audit_read(
                work.conn,
                at=work.now,
                reader=(principal.kind.value, principal.id),
                resource="notes",
                resource_id=referral_id,
                fields=[f"notes.{n.note_id}" for n in shown.notes] if shown else [],
                shown=shown is not None,
                person=principal.person,
            )
        if shown is None:
            raise refused(not_found("referral", referral_id))
        return shown

    def _opened(self, row: Any) -> NoteRead:
        sealed = Sealed(row["words_key_id"], bytes(row["words"]))
        return NoteRead(
            note_id=row["note_id"],
            about=row["about"],
            reason=row["reason"],
            writer_kind=row["writer_kind"],
            writer_id=row["writer_id"],
            written_at=row["written_at"],
            words=stored.open_words(self._data_keys, row["note_id"], sealed),
        )


async def seal_old_words(units: Units, keys: DataKeys, *, batch: int = 200) -> int:
    """Seal into notes the words older versions left as reasons; how many. Idempotent.

    Each answer or clock change that holds words gets a note with them (reason `other`,
    its writer and time), and the code `other` in their place, in one transaction: the
    words are never in two places, and never lost. Rows another process holds are
    skipped, so it may run beside a live intake and be run again.
    """
    done = 0
    for load, note_of, set_code in (
        (stored.old_answer_words, _answer_note, stored.set_answer_reason),
        (stored.old_clock_words, _clock_note, stored.set_clock_reason),
    ):
        while True:
            async with units.open() as work:
                rows = await load(work.conn, batch)
                for row in rows:
                    note = note_of(row, work.new_id())
                    await store_note(work.conn, keys, note)
                    await set_code(work.conn, note.source_id, ReasonCode.OTHER.value)
            done += len(rows)
            if len(rows) < batch:
                break
    return done


def _answer_note(row: Any, note_id: UUID) -> Note:
    return Note(
        note_id=note_id,
        referral_id=row["referral_id"],
        case_id=row["case_id"],
        about=about_answer(ResponseKind(row["response"])),
        source_id=row["response_id"],
        reason=ReasonCode.OTHER,
        writer_kind=PrincipalKind.PROVIDER,
        writer_id=row["provider_id"],
        written_at=row["responded_at"],
        words=row["reason"],
    )


def _clock_note(row: Any, note_id: UUID) -> Note:
    return Note(
        note_id=note_id,
        referral_id=row["referral_id"],
        case_id=row["case_id"],
        about=about_clock(ClockAction(row["action"])),
        source_id=row["request_id"],
        reason=ReasonCode.OTHER,
        writer_kind=PrincipalKind.COORDINATOR,
        writer_id=row["coordinator_id"],
        written_at=row["at"],
        words=row["reason"],
    )


class OldWords:
    """At start: `seal_old_words`, retried until the database lets it finish; then idle.

    A task of the service runs for its whole life, so this one waits to be stopped once
    its work is done. A failure never stops intake taking identifications: it is logged
    (without the words) and tried again.
    """

    name = "old-words"

    def __init__(self, units: Units, keys: DataKeys, *, backoff_cap_seconds: float) -> None:
        self._units = units
        self._keys = keys
        self._cap = backoff_cap_seconds
        self._stopping = asyncio.Event()
        self.finished = asyncio.Event()

    async def run(self) -> None:
        """Seal what is left, then wait to be stopped."""
        delay = 0.5
        while not self._stopping.is_set():
            try:
                sealed = await seal_old_words(self._units, self._keys)
            except Exception as exc:  # any failure is retried: never fatal
                log.warning("old reasons not sealed yet; retrying", reason=classify(exc).reason)
                await _sleep(self._stopping, delay)
                delay = min(delay * 2, self._cap)
                continue
            if sealed:
                log.info("words stored as reasons by an older version sealed into notes",
                         notes=sealed)  # fmt: skip
            self.finished.set()
            break
        await self._stopping.wait()

    def stop(self) -> None:
        """Return from `run`."""
        self._stopping.set()

    async def close(self) -> None:
        """Nothing is held."""


async def _sleep(stopping: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except TimeoutError:
        return
