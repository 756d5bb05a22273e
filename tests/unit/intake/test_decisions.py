"""Intake's decisions, as pure functions: answers, clock changes, reads, identifications."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    ChildProfile,
    ClockAction,
    Gender,
    IdentificationFacts,
    Location,
    MalaysianState,
    NationalityStatus,
    Outcome,
    ReasonCode,
    ResponseKind,
    Situation,
)
from lindung_intake.domain import (
    Note,
    NoteAbout,
    Principal,
    PrincipalKind,
    Referral,
    RefusalKind,
    StoredCase,
    decide_answer,
    decide_clock_change,
    decide_opening,
    may_know,
    may_read_case,
    may_read_note,
    may_read_notes,
    readable_fields,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
REFERRAL = Referral(
    referral_id=uuid.UUID(int=10),
    case_id=uuid.UUID(int=1),
    provider_id="shelter-kl-1",
    service="safe_shelter",
)
PROVIDER = Principal(PrincipalKind.PROVIDER, "shelter-kl-1", key_id="k_a")
OTHER = Principal(PrincipalKind.PROVIDER, "shelter-kl-2")
COORDINATOR = Principal(PrincipalKind.COORDINATOR, "coordinator-kl")
AGENCY = Principal(PrincipalKind.AGENCY, "pdrm-kl")


def test_the_domain_imports_no_io_package():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, lindung_intake.domain; print(' '.join(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    io = {"faust", "aiokafka", "asyncpg", "structlog", "lindung_common", "fastapi"}
    assert io.isdisjoint(name.split(".")[0] for name in loaded)


def test_a_principal_is_who_it_is_whichever_of_its_keys_it_used():
    assert Principal(PrincipalKind.PROVIDER, "shelter-kl-1", key_id="k_b") == PROVIDER


@pytest.mark.parametrize(
    ("who", "knows"),
    [(PROVIDER, True), (OTHER, False), (COORDINATOR, True), (AGENCY, False)],
    ids=["its-provider", "another-provider", "a-coordinator", "an-agency"],
)
def test_who_may_know_a_referral_exists(who, knows):
    assert may_know(REFERRAL, who) is knows
    assert may_know(None, who) is False


def _answer(
    referral,
    who=PROVIDER,
    response=ResponseKind.ACCEPTED,
    previous=None,
    reason=None,
    note=None,
    outcome=None,
    outcome_reason=None,
):
    return decide_answer(
        referral,
        who,
        referral_id=REFERRAL.referral_id,
        response=response,
        reason=reason,
        note=note,
        outcome=outcome,
        outcome_reason=outcome_reason,
        previous=previous,
        response_id=uuid.UUID(int=99),
        note_id=uuid.UUID(int=98),
        responded_at=AT,
    )


def test_an_answer_by_its_provider_moves_the_referral_and_is_sent_at_its_own_time():
    answering = _answer(REFERRAL)

    assert answering.status is not None
    assert answering.status.value == "accepted"
    assert answering.answer is not None
    assert (answering.answer.response_id, answering.answer.responded_at) == (uuid.UUID(int=99), AT)


def test_someone_else_s_referral_and_a_missing_one_get_the_same_refusal():
    theirs, missing = _answer(REFERRAL, who=OTHER), _answer(None, who=OTHER)

    assert theirs.refusal == missing.refusal
    assert theirs.refusal is not None
    assert theirs.refusal.kind is RefusalKind.NOT_FOUND


def test_a_repeated_answer_returns_the_first_and_changes_nothing():
    answering = _answer(REFERRAL, previous=uuid.UUID(int=7))

    assert (answering.repeat_of, answering.answer, answering.status) == (
        uuid.UUID(int=7),
        None,
        None,
    )


@pytest.mark.parametrize(
    ("referral", "response", "field"),
    [
        (dataclasses.replace(REFERRAL, withdrawn_at=AT), ResponseKind.ACCEPTED, "referral"),
        (REFERRAL, ResponseKind.COMPLETED, "response"),
        (dataclasses.replace(REFERRAL, status="declined"), ResponseKind.ACCEPTED, "response"),
    ],
    ids=["withdrawn", "complete-before-accept", "accept-after-decline"],
)
def test_what_the_state_does_not_allow_is_a_conflict(referral, response, field):
    answering = _answer(referral, response=response)

    assert answering.refusal is not None
    assert answering.refusal.kind is RefusalKind.CONFLICT
    assert [e.field for e in answering.refusal.errors] == [field]


def _clock(referral, action, at=AT, note=None):
    return decide_clock_change(
        referral,
        COORDINATOR,
        referral_id=REFERRAL.referral_id,
        action=action,
        reason=ReasonCode.CHILD_IN_HOSPITAL,
        note=note,
        request_id=uuid.UUID(int=5),
        note_id=uuid.UUID(int=6),
        at=at,
    )


def test_a_coordinator_pauses_a_running_clock():
    changing = _clock(REFERRAL, ClockAction.PAUSE)

    assert changing.request is not None
    assert (changing.request.action, changing.request.coordinator_id) == (
        ClockAction.PAUSE,
        "coordinator-kl",
    )
    assert changing.note is None


def test_a_decline_s_words_become_a_note_and_its_event_carries_only_the_code():
    words = "No bed tonight for Aye Aye Mon, 15."
    answering = _answer(
        REFERRAL, response=ResponseKind.DECLINED, reason=ReasonCode.AT_CAPACITY, note=words
    )

    assert answering.answer is not None
    assert answering.answer.reason is ReasonCode.AT_CAPACITY
    assert words not in answering.answer.model_dump_json()
    assert answering.note == Note(
        note_id=uuid.UUID(int=98),
        referral_id=REFERRAL.referral_id,
        case_id=REFERRAL.case_id,
        about=NoteAbout.DECLINE,
        source_id=uuid.UUID(int=99),
        reason=ReasonCode.AT_CAPACITY,
        writer_kind=PrincipalKind.PROVIDER,
        writer_id="shelter-kl-1",
        written_at=AT,
        words=words,
    )
    assert "Aye" not in repr(answering.note)  # printed by mistake, it shows no words


def test_a_completion_carries_its_outcome_and_its_words_are_a_note_under_its_code():
    words = "Aye Aye Mon left the shelter on the second night."
    answering = _answer(
        dataclasses.replace(REFERRAL, status="in_progress"),
        response=ResponseKind.COMPLETED,
        note=words,
        outcome=Outcome.PARTLY_DELIVERED,
        outcome_reason=ReasonCode.CHILD_MISSING,
    )

    assert answering.answer is not None
    assert (answering.answer.outcome, answering.answer.outcome_reason) == (
        Outcome.PARTLY_DELIVERED,
        ReasonCode.CHILD_MISSING,
    )
    assert answering.answer.reason is None
    assert words not in answering.answer.model_dump_json()
    assert answering.note is not None
    assert (answering.note.about, answering.note.reason) == (
        NoteAbout.COMPLETE,
        ReasonCode.CHILD_MISSING,
    )


def test_a_repeated_decline_stores_no_second_note():
    answering = _answer(
        REFERRAL,
        response=ResponseKind.DECLINED,
        reason=ReasonCode.AT_CAPACITY,
        note="again",
        previous=uuid.UUID(int=7),
    )
    assert (answering.repeat_of, answering.note) == (uuid.UUID(int=7), None)


def test_a_pause_s_words_become_a_note_of_the_coordinator_s():
    changing = _clock(REFERRAL, ClockAction.PAUSE, note="In ward 4.")

    assert changing.request is not None
    assert changing.request.reason is ReasonCode.CHILD_IN_HOSPITAL
    assert changing.note is not None
    assert (changing.note.about, changing.note.source_id, changing.note.writer_id) == (
        NoteAbout.PAUSE,
        uuid.UUID(int=5),
        "coordinator-kl",
    )


@pytest.mark.parametrize(
    ("who", "referral", "reads"),
    [
        (PROVIDER, REFERRAL, True),
        (PROVIDER, dataclasses.replace(REFERRAL, withdrawn_at=AT), True),
        (COORDINATOR, REFERRAL, True),
        (OTHER, REFERRAL, False),
        (AGENCY, REFERRAL, False),
        (Principal(PrincipalKind.OPERATIONS, "ops"), REFERRAL, False),
        (COORDINATOR, None, False),
    ],
    ids=["its-provider", "withdrawn", "coordinator", "other", "agency", "operations", "unknown"],
)
def test_who_reads_a_referral_s_notes(who, referral, reads):
    assert may_read_notes(referral, who) is reads


def test_a_provider_reads_its_own_notes_and_a_coordinator_all():
    assert may_read_note(PROVIDER, "provider", "shelter-kl-1")
    assert not may_read_note(PROVIDER, "coordinator", "coordinator-kl")
    assert may_read_note(COORDINATOR, "provider", "shelter-kl-1")
    assert may_read_note(COORDINATOR, "coordinator", "coordinator-other")


@pytest.mark.parametrize(
    ("referral", "action", "why"),
    [
        (
            dataclasses.replace(REFERRAL, paused_at=AT - timedelta(hours=1)),
            ClockAction.PAUSE,
            "its clock is already paused, since 2026-03-02T09:00:00+00:00",
        ),
        (REFERRAL, ClockAction.RESUME, "its clock is not paused"),
        (
            dataclasses.replace(REFERRAL, status="accepted"),
            ClockAction.PAUSE,
            "is accepted: only a referral awaiting acceptance has a clock",
        ),
        (
            dataclasses.replace(REFERRAL, withdrawn_at=AT),
            ClockAction.PAUSE,
            "was withdrawn from its provider; its clock has stopped",
        ),
        (
            dataclasses.replace(REFERRAL, paused_at=AT + timedelta(seconds=1)),
            ClockAction.RESUME,
            "cannot be resumed before it was paused",
        ),
    ],
    ids=["pause-twice", "resume-running", "accepted", "withdrawn", "resume-before-pause"],
)
def test_the_shared_clock_rule_refuses_with_409_what_the_router_would_ignore(referral, action, why):
    changing = _clock(referral, action)

    assert changing.refusal is not None
    assert changing.refusal.kind is RefusalKind.CONFLICT
    assert [(e.field, e.reason) for e in changing.refusal.errors] == [("referral", why)]


def test_a_clock_change_for_an_unknown_referral_is_not_found():
    changing = _clock(None, ClockAction.PAUSE)

    assert changing.refusal is not None
    assert changing.refusal.kind is RefusalKind.NOT_FOUND


def test_only_the_addressed_provider_reads_and_not_once_it_was_taken_back():
    consented = {"consent": {"categories": ["shelter"], "given_by": "child"}}

    assert readable_fields(REFERRAL, PROVIDER, consented)
    assert readable_fields(REFERRAL, PROVIDER, {}) == ()  # no consent: nothing of the child
    assert readable_fields(REFERRAL, OTHER, consented) is None
    assert readable_fields(REFERRAL, COORDINATOR, consented) is None
    assert readable_fields(dataclasses.replace(REFERRAL, withdrawn_at=AT), PROVIDER, {}) is None


def test_a_case_is_read_by_the_agencies_that_reported_it_and_any_coordinator():
    assert may_read_case(AGENCY, ["pdrm-kl", "jtk-johor"])
    assert not may_read_case(Principal(PrincipalKind.AGENCY, "imi-johor"), ["pdrm-kl"])
    assert may_read_case(COORDINATOR, [])
    assert not may_read_case(PROVIDER, ["shelter-kl-1"])


IDENTIFICATION = IdentificationFacts(
    agency_reference="PDRM/KL/1",
    identified_at=AT - timedelta(hours=1),
    child=ChildProfile(
        age_years=15,
        gender=Gender.FEMALE,
        nationality_status=NationalityStatus.REFUGEE,
        languages=("ms",),
    ),
    situation=Situation(location=Location.POLICE_LOCKUP, state=MalaysianState.KUALA_LUMPUR),
)


def _open(existing=None, documented=None, fingerprint="f1", identification=IDENTIFICATION):
    return decide_opening(
        identification,
        agency_id="pdrm-kl",
        fingerprint=fingerprint,
        existing=existing,
        documented=documented,
        case_id=uuid.UUID(int=100),
        now=AT,
        skew=timedelta(minutes=5),
        oldest=timedelta(days=30),
    )


def test_a_new_identification_opens_a_case_and_raises_case_opened():
    opening = _open()

    assert opening.store
    assert opening.opened is not None
    assert (opening.opened.case_id, opening.opened.created) == (uuid.UUID(int=100), True)
    assert opening.event is not None
    assert opening.event.opened_at == AT


def test_a_child_known_by_a_document_joins_that_case_without_new_referrals():
    opening = _open(documented=uuid.UUID(int=50))

    assert opening.store
    assert opening.opened is not None
    assert (opening.opened.case_id, opening.opened.linked) == (uuid.UUID(int=50), True)
    assert opening.event is None


def test_the_same_reference_repeats_the_answer_and_another_identification_conflicts():
    stored = StoredCase(uuid.UUID(int=60), "f1", linked_to=uuid.UUID(int=50))

    repeat = _open(existing=stored)
    conflict = _open(existing=stored, fingerprint="f2")

    assert repeat.opened is not None
    assert (repeat.opened.case_id, repeat.opened.created, repeat.store) == (
        uuid.UUID(int=50),
        False,
        False,
    )
    assert conflict.refusal is not None
    assert conflict.refusal.kind is RefusalKind.CONFLICT
    assert [e.field for e in conflict.refusal.errors] == ["agency_reference"]


def test_an_identification_from_the_future_is_invalid_before_anything_else():
    future = IDENTIFICATION.model_copy(update={"identified_at": AT + timedelta(hours=1)})

    opening = _open(existing=StoredCase(uuid.UUID(int=60), "f1"), identification=future)

    assert opening.refusal is not None
    assert opening.refusal.kind is RefusalKind.INVALID
