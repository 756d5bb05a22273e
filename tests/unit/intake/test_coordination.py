"""The coordinator's desk: each referral's ladder, the timeline's order, every word there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from lindung_contracts import AlertKind, CaseOutcome, ReasonCode, RecipientRole, StepKind
from lindung_contracts.lifecycle import ReferralStatus
from lindung_intake.domain import Principal, PrincipalKind, Refusal, RefusalKind
from lindung_intake.domain.coordination import (
    Moment,
    StepState,
    covers_case,
    decide_case_note,
    ladder,
    timeline,
)
from lindung_intake.domain.notes import Note, NoteAbout
from lindung_intake.entrypoints.desk import coordinating, words

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def _plan(*steps: tuple[int, timedelta]) -> list[dict[str, object]]:
    return [
        {"kind": "warning" if level == 0 else "escalation", "level": level,
         "at": (NOW + offset).isoformat(), "notify": "case_coordinator"}
        for level, offset in steps
    ]  # fmt: skip


PLAN = _plan((0, -timedelta(hours=2)), (1, -timedelta(minutes=5)), (2, -timedelta(minutes=1)),
             (3, timedelta(hours=1)))  # fmt: skip


def test_a_waiting_referral_shows_what_fired_what_is_held_and_what_is_to_come() -> None:
    steps = ladder(PLAN, fired_levels={1}, waiting=True, now=NOW)
    assert [(s.level, s.state) for s in steps] == [
        (0, StepState.FIRED),  # a warning raises no alert: its time passed, it went out
        (1, StepState.FIRED),
        (2, StepState.DUE),  # its time passed, no alert yet: held by an acknowledgement
        (3, StepState.TO_COME),
    ]


def test_once_accepted_or_taken_back_nothing_more_fires() -> None:
    steps = ladder(PLAN, fired_levels={1}, waiting=False, now=NOW)
    assert [s.state for s in steps] == [StepState.OFF, StepState.FIRED, StepState.OFF,
                                        StepState.OFF]  # fmt: skip


def test_the_timeline_is_oldest_first() -> None:
    later = Moment(NOW, "referred")
    earlier = Moment(NOW - timedelta(hours=1), "identified")
    assert timeline([later], [earlier]) == [earlier, later]


def test_a_coordinator_works_on_the_cases_of_their_states_only() -> None:
    sel = Principal(PrincipalKind.COORDINATOR, "c", states=frozenset({"selangor"}))
    everywhere = Principal(PrincipalKind.COORDINATOR, "s", states=frozenset({"*"}))
    provider = Principal(PrincipalKind.PROVIDER, "shelter-sel-1")
    assert covers_case(sel, "selangor")
    assert not covers_case(sel, "johor")
    assert not covers_case(sel, None)
    assert covers_case(everywhere, None)
    assert not covers_case(provider, "selangor")


def test_every_word_of_the_coordinators_pages_is_there_in_both_languages() -> None:
    families = {
        *(f"alert_{k.value}" for k in AlertKind),
        *(f"moment_alert_{k.value}" for k in AlertKind),
        *(f"role_{r.value}" for r in RecipientRole),
        *(f"step_{k.value}" for k in StepKind),
        *(f"stepstate_{s.value}" for s in StepState),
        *(f"cstatus_{s.value}" for s in ReferralStatus),
        "cstatus_withdrawn",
        *(f"alerts_{g}" for g in ("open", "held")),
        *(f"done_{d}" for d in coordinating._DONE),
        *(f"moment_answer_{a}" for a in ("accepted", "declined", "started", "completed",
                                         "failed")),
        *(f"moment_clock_{a}" for a in ("pause", "resume")),
        *(f"moment_{m}" for m in ("identified", "received", "referred", "taken_back", "moved",
                                  "acknowledged", "closed")),
    }  # fmt: skip
    missing = sorted(k for k in families if k not in words._W)
    assert not missing
    for language in ("en", "ms"):
        t = words.WORDS[language]
        assert all(t.case_outcome(o.value) for o in CaseOutcome)
        reasons = {*coordinating.PAUSE_REASONS, *coordinating.RESUME_REASONS,
                   *coordinating.SEND_REASONS, *coordinating.CLOSE_REASONS}  # fmt: skip
        assert all(t.reason(r.value) for r in reasons)


def test_a_case_note_is_sealed_words_of_a_coordinator_of_the_case_state() -> None:
    sel = Principal(PrincipalKind.COORDINATOR, "c", states=frozenset({"selangor"}))
    case_id, note_id = uuid4(), uuid4()

    def decide(principal: Principal, words: str | None, *, known: bool = True) -> object:
        return decide_case_note(principal, known=known, state="selangor", case_id=case_id,
                                words=words, note_id=note_id, at=NOW)  # fmt: skip

    note = decide(sel, "  Ibu saudara di Klang ")
    assert isinstance(note, Note)
    assert (note.about, note.referral_id, note.source_id, note.reason, note.words) == (
        NoteAbout.CASE, None, note_id, ReasonCode.OTHER, "Ibu saudara di Klang",
    )  # fmt: skip
    assert "Ibu" not in repr(note)
    johor = Principal(PrincipalKind.COORDINATOR, "j", states=frozenset({"johor"}))
    for refusal, kind in (
        (decide(johor, "x"), RefusalKind.NOT_FOUND),
        (decide(sel, "x", known=False), RefusalKind.NOT_FOUND),
        (decide(Principal(PrincipalKind.PROVIDER, "shelter-sel-1"), "x"), RefusalKind.NOT_FOUND),
        (decide(sel, None), RefusalKind.INVALID),
        (decide(sel, " \t"), RefusalKind.INVALID),
    ):
        assert isinstance(refusal, Refusal)
        assert refusal.kind is kind
