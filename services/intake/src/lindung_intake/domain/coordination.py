"""What a coordinator's desk shows of a case: each referral's ladder, and the case's timeline.

The router plans a referral's escalation ladder when it makes the referral (warnings to
the provider before the deadline, levels 1-3 to people after it); intake keeps the plan
and the alerts the sla-monitor raised. A step is fired, due (its time passed: held by an
acknowledgement or a paused clock, or on its way), still to come, or off once the
referral was answered or taken back. Only ids, codes and times: nobody's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from lindung_contracts import ReasonCode

from .auth import PrincipalKind
from .notes import Note, NoteAbout, check_note, trimmed
from .referrals import not_found
from .refusal import Refusal, RefusalKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from uuid import UUID

    from .auth import Principal

__all__ = [
    "LadderStep",
    "Moment",
    "StepState",
    "covers_case",
    "decide_case_note",
    "ladder",
    "timeline",
]


class StepState(StrEnum):
    """Where one step of a referral's escalation ladder stands."""

    FIRED = "fired"
    DUE = "due"  # its time passed and no alert is known: held, or on its way
    TO_COME = "to_come"
    OFF = "off"  # the referral was accepted, answered or taken back first


@dataclass(frozen=True)
class LadderStep:
    """One planned step: a warning (level 0) or an escalation, whom it tells, when."""

    kind: str
    level: int
    at: datetime
    notify: str
    state: StepState


def ladder(
    planned: Iterable[Mapping[str, Any]],
    *,
    fired_levels: set[int],
    waiting: bool,
    now: datetime,
) -> list[LadderStep]:
    """The referral's steps in order, each with where it stands now.

    `waiting` says the referral still awaits its provider's acceptance: only then do the
    steps not yet fired still matter. A warning goes to the provider and raises no alert,
    so one whose time passed while waiting counts as fired.
    """
    steps: list[LadderStep] = []
    for step in planned:
        level = int(step["level"])
        at = step["at"] if isinstance(step["at"], datetime) else datetime.fromisoformat(step["at"])
        if level > 0 and level in fired_levels:
            state = StepState.FIRED
        elif not waiting:
            state = StepState.OFF
        elif at > now:
            state = StepState.TO_COME
        else:
            state = StepState.FIRED if level == 0 else StepState.DUE
        steps.append(LadderStep(str(step["kind"]), level, at, str(step["notify"]), state))
    return sorted(steps, key=lambda s: (s.at, s.level))


@dataclass(frozen=True, order=True)
class Moment:
    """One thing that happened to a case: when, what (a key of the desk's words), ids, codes.

    `who` is the coordinator or provider, if any; `code` a service, reason or level.
    """

    at: datetime
    what: str
    referral_id: str = ""
    who: str = ""
    code: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def timeline(*groups: Iterable[Moment]) -> list[Moment]:
    """Everything that happened, oldest first (the same moment: in the order given)."""
    merged = [m for group in groups for m in group]
    return sorted(merged, key=lambda m: m.at)


def covers_case(principal: Principal, state: str | None) -> bool:
    """A coordinator (or supervisor) works on the cases of the states they cover."""
    return principal.kind is PrincipalKind.COORDINATOR and principal.covers(state)


def decide_case_note(
    principal: Principal,
    *,
    known: bool,
    state: str | None,
    case_id: UUID,
    words: str | None,
    note_id: UUID,
    at: datetime,
) -> Note | Refusal:
    """A coordinator's sealed note on a case of their states, or why not.

    It goes with no act, so its reason code is `other`; it is its own source. A case
    outside the caller's states is not found, like an unknown one.
    """
    if not (known and covers_case(principal, state)):
        return not_found("case", case_id)
    errors = check_note(words) if words is not None else []
    if words is None or errors:
        why = errors[0].reason if errors else "is required: the words of the note"
        return Refusal.of(RefusalKind.INVALID, "note", why)
    return Note(
        note_id=note_id, referral_id=None, case_id=case_id, about=NoteAbout.CASE,
        source_id=note_id, reason=ReasonCode.OTHER, writer_kind=PrincipalKind.COORDINATOR,
        writer_id=principal.id, written_at=at, words=trimmed(words),
    )  # fmt: skip
