"""Which steps of a ladder fire, which are skipped as stale, at various times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    EscalationStep,
    RecipientRole,
    ServiceType,
    StepKind,
)
from lindung_sla_monitor.domain import (
    Deadline,
    Step,
    Verdict,
    deadline_event,
    due_steps,
    step_event_id,
    step_from_contract,
    step_problem,
    verdict,
)

REQUESTED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DUE = REQUESTED + timedelta(hours=4)
DEADLINE = Deadline(
    referral_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    case_id=uuid.UUID("00000000-0000-4000-8000-0000000000ca"),
    provider_id="shelter-kl-1",
    service=ServiceType.SAFE_SHELTER,
    requested_at=REQUESTED,
    due_at=DUE,
)


def _step(no: int, kind: StepKind, level: int, percent: int, role: RecipientRole) -> Step:
    at = REQUESTED + (DUE - REQUESTED) * percent / 100
    return Step(no, kind, level, percent, at, role)


# The default ladder for a 4 h window: 12:00, 13:00, 14:00, 16:00, 18:00.
LADDER = (
    _step(0, StepKind.WARNING, 0, 50, RecipientRole.PROVIDER),
    _step(1, StepKind.WARNING, 0, 75, RecipientRole.CASE_COORDINATOR),
    _step(2, StepKind.ESCALATION, 1, 100, RecipientRole.CASE_COORDINATOR),
    _step(3, StepKind.ESCALATION, 2, 150, RecipientRole.SUPERVISOR),
    _step(4, StepKind.ESCALATION, 3, 200, RecipientRole.SECRETARIAT),
)
FIRE, SKIP, SUPERSEDED = Verdict.FIRE, Verdict.SKIP_STALE, Verdict.SKIP_SUPERSEDED


@pytest.mark.parametrize(
    ("hours_after_request", "expected"),
    [
        (0, []),
        (1.99, []),
        (2, [(0, FIRE)]),
        (2.5, [(0, FIRE)]),
        (3, [(0, FIRE), (1, FIRE)]),
        (3.99, [(0, FIRE), (1, FIRE)]),
        # At the deadline the warnings are stale: the level 1 escalation says it all.
        (4, [(0, SKIP), (1, SKIP), (2, FIRE)]),
        (5.99, [(0, SKIP), (1, SKIP), (2, FIRE)]),
        # After downtime only the highest level already due fires: one escalation, not three.
        (6, [(0, SKIP), (1, SKIP), (2, SUPERSEDED), (3, FIRE)]),
        (8, [(0, SKIP), (1, SKIP), (2, SUPERSEDED), (3, SUPERSEDED), (4, FIRE)]),
        (500, [(0, SKIP), (1, SKIP), (2, SUPERSEDED), (3, SUPERSEDED), (4, FIRE)]),
    ],
)
def test_due_steps_at_a_time(hours_after_request: float, expected: list[tuple[int, Verdict]]):
    now = REQUESTED + timedelta(hours=hours_after_request)
    pending = [(DEADLINE, step) for step in reversed(LADDER)]  # any order in, time order out
    due = due_steps(pending, now)
    assert [(step.step_no, v) for _, step, v in due] == expected


def test_due_steps_of_several_referrals_come_in_time_order():
    later = Deadline(
        referral_id=uuid.uuid4(),
        case_id=DEADLINE.case_id,
        provider_id="health-kl-1",
        service=ServiceType.HEALTH,
        requested_at=REQUESTED - timedelta(minutes=30),
        due_at=DUE - timedelta(minutes=30),
    )
    early = Step(0, StepKind.ESCALATION, 1, 100, later.due_at, RecipientRole.CASE_COORDINATOR)
    pending = [(DEADLINE, LADDER[2]), (later, early), (DEADLINE, LADDER[3])]
    due = due_steps(pending, REQUESTED + timedelta(hours=7))
    assert [(d.referral_id, s.step_no) for d, s, _ in due] == [
        (later.referral_id, 0),
        (DEADLINE.referral_id, 2),
        (DEADLINE.referral_id, 3),
    ]


@pytest.mark.parametrize(
    ("step", "now", "expected"),
    [
        (LADDER[0], LADDER[0].at - timedelta(seconds=1), Verdict.NOT_YET),
        (LADDER[0], LADDER[0].at, Verdict.FIRE),
        (LADDER[1], DUE - timedelta(seconds=1), Verdict.FIRE),
        (LADDER[1], DUE, Verdict.SKIP_STALE),
        (LADDER[2], DUE - timedelta(seconds=1), Verdict.NOT_YET),
        (LADDER[2], DUE, Verdict.FIRE),
        (LADDER[4], DUE + timedelta(days=30), Verdict.FIRE),
    ],
)
def test_verdict_boundaries(step: Step, now: datetime, expected: Verdict):
    assert verdict(step, DUE, now) is expected


@pytest.mark.parametrize(
    ("kind", "level", "percent", "problem"),
    [
        (StepKind.WARNING, 0, 50, None),
        (StepKind.WARNING, 0, 99, None),
        (StepKind.WARNING, 0, 0, "not within 1-99%"),
        (StepKind.WARNING, 0, 100, "not within 1-99%"),
        (StepKind.ESCALATION, 1, 100, None),
        (StepKind.ESCALATION, 3, 200, None),
        (StepKind.ESCALATION, 0, 100, "not within 1-3"),
    ],
)
def test_steps_that_cannot_raise_a_valid_event_are_named(
    kind: StepKind, level: int, percent: int, problem: str | None
):
    found = step_problem(Step(0, kind, level, percent, DUE, RecipientRole.PROVIDER))
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_a_warning_raises_deadline_warning_with_its_percentage():
    now = LADDER[1].at + timedelta(seconds=3)
    event = deadline_event(DEADLINE, LADDER[1], now)
    assert isinstance(event, DeadlineWarning)
    assert event.percent_of_window == 75
    assert event.notify is RecipientRole.CASE_COORDINATOR
    assert (event.referral_id, event.case_id, event.due_at) == (
        DEADLINE.referral_id,
        DEADLINE.case_id,
        DUE,
    )
    assert event.fired_at == now


@pytest.mark.parametrize(("step_no", "level"), [(2, 1), (3, 2), (4, 3)])
def test_an_escalation_raises_deadline_missed_at_its_level(step_no: int, level: int):
    event = deadline_event(DEADLINE, LADDER[step_no], LADDER[step_no].at)
    assert isinstance(event, DeadlineMissed)
    assert event.escalation_level == level
    assert event.notify is LADDER[step_no].notify


def test_each_step_has_one_event_id_forever():
    rid = DEADLINE.referral_id
    assert step_event_id(rid, 2) == step_event_id(rid, 2)
    ids = {step_event_id(rid, n) for n in range(5)} | {step_event_id(uuid.uuid4(), 2)}
    assert len(ids) == 6


def test_step_from_contract_keeps_position_and_time():
    contract = EscalationStep(
        kind=StepKind.ESCALATION, level=2, percent_of_window=150, at=DUE, notify="supervisor"
    )
    step = step_from_contract(3, contract)
    assert step == Step(3, StepKind.ESCALATION, 2, 150, DUE, RecipientRole.SUPERVISOR)
