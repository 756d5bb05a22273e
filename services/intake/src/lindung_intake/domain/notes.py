"""Notes: the words a person adds to an answer, a pause or a resume.

Notes go with a decline, a failure, a completion short of delivered, a pause, a resume,
a reassignment, or the closing of a case.

A reason travels as a code (`lindung_contracts.ReasonCode`); words can name the child
("no bed for <name>, 15"), so they stay in intake, sealed like the child's personal
details, and are read only through the API: by the provider that wrote them (also after
its referral was taken back) and by case coordinators. To anyone else a referral's notes
are exactly like those of a referral that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from lindung_contracts import ClockAction, FieldError, ResponseKind

from .auth import PrincipalKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import ReasonCode

    from .auth import Principal
    from .referrals import Referral

__all__ = [
    "NOTE_MAX_CHARACTERS",
    "NOTE_PATTERN",
    "Note",
    "NoteAbout",
    "about_answer",
    "about_clock",
    "check_note",
    "may_read_note",
    "may_read_notes",
    "trimmed",
]

NOTE_MAX_CHARACTERS: Final = 1000
# Control characters (C0, DEL, C1): refused anywhere in a note.
_CONTROL: Final = "\\x00-\\x1f\\x7f-\\x9f"
# What is trimmed from either end: white space that is no control character, written so
# that Python's `re` and an ECMA-262 engine (a JSON Schema validator) read it alike.
_SPACE: Final = " \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
# The published rule: no control character, and something besides white space.
NOTE_PATTERN: Final = f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
_HAS_CONTROL: Final = re.compile(f"[{_CONTROL}]")
_TRIM: Final = re.compile(f"^[{_SPACE}]+|[{_SPACE}]+$")


class NoteAbout(StrEnum):
    """What a note goes with: a provider's answer, or a coordinator's clock change or move.

    Notes are taken with a decline, a failure, a completion short of delivered, a pause,
    a resume and a reassignment; the other answers only appear on notes kept from before
    reasons became codes.
    """

    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"
    PAUSE = "pause"
    RESUME = "resume"
    REASSIGN = "reassign"  # a coordinator sending the referral to another provider
    CLOSE = "close"  # a coordinator closing the whole case (the note has no referral)
    CASE = "case"  # a coordinator's note on the case, with no act (no referral; code `other`)


_ABOUT_ANSWER: Final = {
    ResponseKind.ACCEPTED: NoteAbout.ACCEPT,
    ResponseKind.DECLINED: NoteAbout.DECLINE,
    ResponseKind.STARTED: NoteAbout.START,
    ResponseKind.COMPLETED: NoteAbout.COMPLETE,
    ResponseKind.FAILED: NoteAbout.FAIL,
}
_ABOUT_CLOCK: Final = {ClockAction.PAUSE: NoteAbout.PAUSE, ClockAction.RESUME: NoteAbout.RESUME}
# The answers a note may be given with, through the API.
_TAKES_NOTE: Final = frozenset({ResponseKind.DECLINED, ResponseKind.FAILED})


def about_answer(response: ResponseKind) -> NoteAbout:
    """What a note given with this answer is about."""
    return _ABOUT_ANSWER[response]


def about_clock(action: ClockAction) -> NoteAbout:
    """What a note given with this clock change is about."""
    return _ABOUT_CLOCK[action]


@dataclass(frozen=True)
class Note:
    """A note as intake keeps it: what it goes with, who wrote it and when, and its words.

    `source_id` is the answer's `response_id` or the clock change's `request_id`. The
    words are never part of its `repr`, so a note printed by mistake shows none of them.
    A note about closing a case has no referral (`referral_id` None).
    """

    note_id: UUID
    referral_id: UUID | None
    case_id: UUID
    about: NoteAbout
    source_id: UUID
    reason: ReasonCode
    writer_kind: PrincipalKind
    writer_id: str
    written_at: datetime
    words: str = field(repr=False)


def check_note(
    note: str | None, *, response: ResponseKind | None = None, falls_short: bool = False
) -> list[FieldError]:
    """Refusals of a note's words (none for no note); each names `note`, never the words.

    With `response`, a note is taken only with a decline, a failure, or a completion that
    `falls_short` (an outcome short of delivered, with its reason code).
    """
    if note is None:
        return []
    if response is not None and response not in _TAKES_NOTE and not falls_short:
        why = (
            "is taken only with a decline, a failure or a completion short of delivered,"
            f" not with {response.value}"
        )
        return [FieldError(field="note", reason=why)]
    if len(note) > NOTE_MAX_CHARACTERS:
        why = f"is longer than {NOTE_MAX_CHARACTERS} characters"
        return [FieldError(field="note", reason=why)]
    if _HAS_CONTROL.search(note):
        why = "must not contain control characters (line breaks and tabs included)"
        return [FieldError(field="note", reason=why)]
    if not trimmed(note):
        return [FieldError(field="note", reason="is blank; leave it out to add no words")]
    return []


def trimmed(note: str) -> str:
    """The words without white space at either end."""
    return _TRIM.sub("", note)


def may_read_notes(referral: Referral | None, principal: Principal) -> bool:
    """Whether the caller may read a referral's notes at all (else: as if it did not exist).

    Case coordinators read every note; the provider it is (or was) addressed to reads its
    own; nobody else reads any.
    """
    if referral is None:
        return False
    if principal.kind is PrincipalKind.COORDINATOR:
        return True
    return principal.kind is PrincipalKind.PROVIDER and principal.id == referral.provider_id


def may_read_note(principal: Principal, writer_kind: str, writer_id: str) -> bool:
    """Whether a caller who may read a referral's notes reads this one."""
    if principal.kind is PrincipalKind.COORDINATOR:
        return True
    return writer_kind == principal.kind.value and writer_id == principal.id
