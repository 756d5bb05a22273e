"""Closing a case at intake: who may, which case, and when it is too early or too late."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import CaseOutcome, ReasonCode
from lindung_intake.domain import (
    CaseToClose,
    NoteAbout,
    Principal,
    PrincipalKind,
    RefusalKind,
    decide_closing,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CASE = CaseToClose(case_id=uuid.UUID(int=1), state="selangor", routed=True)
SEL = Principal(PrincipalKind.COORDINATOR, "coordinator-sel", states=frozenset({"selangor"}))


def _decide(case, principal=SEL, **more):
    return decide_closing(
        case,
        principal,
        case_id=uuid.UUID(int=1),
        outcome=CaseOutcome.CHILD_MISSING,
        request_id=uuid.UUID(int=7),
        note_id=uuid.UUID(int=8),
        at=AT,
        **more,
    )


def test_a_coordinator_of_the_state_closes_it_and_the_words_stay_in_a_note():
    closing = _decide(CASE, note="last seen at the bus station")

    assert closing.refusal is None
    assert closing.request is not None
    assert (closing.request.coordinator_id, closing.request.reason) == ("coordinator-sel", None)
    assert closing.note is not None
    assert (closing.note.about, closing.note.referral_id, closing.note.reason) == (
        NoteAbout.CLOSE,
        None,
        ReasonCode.OTHER,
    )
    assert "bus station" not in closing.request.model_dump_json()


@pytest.mark.parametrize(
    ("case", "principal", "kind"),
    [
        (CASE, Principal(PrincipalKind.PROVIDER, "shelter-sel-1"), RefusalKind.FORBIDDEN),
        (CASE, Principal(PrincipalKind.AGENCY, "pdrm-sel"), RefusalKind.FORBIDDEN),
        (None, SEL, RefusalKind.NOT_FOUND),
        (
            CASE,
            Principal(PrincipalKind.COORDINATOR, "c-jhr", states=frozenset({"johor"})),
            RefusalKind.NOT_FOUND,
        ),
        (CaseToClose(uuid.UUID(int=1), "selangor", routed=False), SEL, RefusalKind.CONFLICT),
        (CaseToClose(uuid.UUID(int=1), "selangor", True, asked_at=AT), SEL, RefusalKind.CONFLICT),
        (CaseToClose(uuid.UUID(int=1), "selangor", True, closed_at=AT), SEL, RefusalKind.CONFLICT),
    ],
)
def test_refusals(case, principal, kind):
    closing = _decide(case, principal)

    assert closing.request is None
    assert closing.refusal is not None
    assert closing.refusal.kind is kind


def test_a_machine_key_of_no_states_closes_a_case_of_any_state():
    machine = Principal(PrincipalKind.COORDINATOR, "coordinator-api")

    assert _decide(CaseToClose(uuid.UUID(int=1), None, routed=True), machine).refusal is None
