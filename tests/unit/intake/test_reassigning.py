"""A coordinator's reassignment as intake decides it: who may, when, and what is passed on."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import ReasonCode, ReferralReassignmentRequested
from lindung_intake.domain import (
    NoteAbout,
    Principal,
    PrincipalKind,
    Referral,
    RefusalKind,
    decide_reassignment,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
REFERRAL = Referral(
    referral_id=uuid.UUID(int=10),
    case_id=uuid.UUID(int=1),
    provider_id="shelter-kl-1",
    service="safe_shelter",
)
COORDINATOR = Principal(PrincipalKind.COORDINATOR, "coordinator-kl")


def decide(
    referral: Referral | None = REFERRAL,
    principal: Principal = COORDINATOR,
    *,
    provider_id: str | None = "shelter-kl-2",
    note: str | None = None,
    earlier: datetime | None = None,
):
    return decide_reassignment(
        referral,
        principal,
        referral_id=REFERRAL.referral_id,
        provider_id=provider_id,
        reason=ReasonCode.COORDINATOR_ARRANGED,
        note=note,
        earlier=earlier,
        request_id=uuid.UUID(int=99),
        note_id=uuid.UUID(int=98),
        at=AT,
    )


def test_a_waiting_referral_is_sent_on_with_the_code_and_the_words_kept_apart():
    moving = decide(note="They have a bed tonight.")

    assert moving.refusal is None
    assert moving.request == ReferralReassignmentRequested(
        request_id=uuid.UUID(int=99),
        referral_id=REFERRAL.referral_id,
        case_id=REFERRAL.case_id,
        coordinator_id="coordinator-kl",
        provider_id="shelter-kl-2",
        reason=ReasonCode.COORDINATOR_ARRANGED,
        at=AT,
    )
    assert moving.note is not None
    assert (moving.note.about, moving.note.source_id) == (NoteAbout.REASSIGN, uuid.UUID(int=99))
    assert "bed" not in moving.request.model_dump_json()


def test_the_next_suitable_provider_is_asked_for_with_no_provider():
    moving = decide(provider_id=None)

    assert moving.request is not None
    assert moving.request.provider_id is None


def test_a_provider_never_reassigns_and_another_s_referral_is_not_found():
    own = decide(principal=Principal(PrincipalKind.PROVIDER, "shelter-kl-1"))
    other = decide(principal=Principal(PrincipalKind.PROVIDER, "shelter-kl-2"))
    unknown = decide(referral=None)

    assert own.refusal is not None
    assert own.refusal.kind is RefusalKind.FORBIDDEN
    assert other.refusal is not None
    assert other.refusal.kind is RefusalKind.NOT_FOUND
    assert unknown.refusal == other.refusal


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"status": "accepted"}, "is accepted"),
        ({"status": "completed"}, "is completed"),
        ({"withdrawn_at": AT}, "was withdrawn"),
    ],
)
def test_a_referral_taken_or_moved_on_is_a_conflict(changes, says):
    moving = decide(dataclasses.replace(REFERRAL, **changes))

    assert moving.refusal is not None
    assert moving.refusal.kind is RefusalKind.CONFLICT
    assert says in moving.refusal.errors[0].reason


def test_one_request_per_referral_and_not_to_its_own_provider():
    again = decide(earlier=AT)
    same = decide(provider_id="shelter-kl-1")

    assert again.refusal is not None
    assert again.refusal.kind is RefusalKind.CONFLICT
    assert same.refusal is not None
    assert same.refusal.errors[0].reason == "is already with shelter-kl-1"


def test_a_provider_id_that_is_no_id_is_invalid_and_not_repeated():
    moving = decide(provider_id="Shelter of Aye Aye Mon")

    assert moving.refusal is not None
    assert moving.refusal.kind is RefusalKind.INVALID
    (error,) = moving.refusal.errors
    assert error.field == "provider_id"
    assert "Aye" not in error.reason
