"""What a scheduler pass fires and skips, what requests start, what a failed delivery raises."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    Channel,
    ChildSummary,
    DeadlineMissed,
    DeadlineWarning,
    EscalationStep,
    NotificationFailed,
    RecipientRole,
    ReferralRequested,
    ServiceType,
    StepKind,
    UnacceptedReferral,
)
from lindung_sla_monitor.domain import (
    HIGHEST_LEVEL,
    OVERDUE_STEP_NO,
    Deadline,
    DeadlineState,
    DeadlineStatus,
    FailureVerdict,
    PackageDue,
    Step,
    StepState,
    early_escalation,
    on_failure,
    package_event_id,
    plan_fires,
    receive_requests,
    settle_packages,
    step_event_id,
)

REQUESTED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DUE = REQUESTED + timedelta(hours=4)
DEADLINE = Deadline(
    referral_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    case_id=uuid.UUID("00000000-0000-4000-8000-0000000000ca"),
    provider_id="legal-1",
    service=ServiceType.LEGAL_AID,
    requested_at=REQUESTED,
    due_at=DUE,
)
W50 = Step(0, StepKind.WARNING, 0, 50, REQUESTED + timedelta(hours=2), RecipientRole.PROVIDER)
W75 = Step(
    1, StepKind.WARNING, 0, 75, REQUESTED + timedelta(hours=3), RecipientRole.CASE_COORDINATOR
)
L1 = Step(2, StepKind.ESCALATION, 1, 100, DUE, RecipientRole.CASE_COORDINATOR)
L2 = Step(3, StepKind.ESCALATION, 2, 150, DUE + timedelta(hours=2), RecipientRole.SUPERVISOR)
L3 = Step(4, StepKind.ESCALATION, 3, 200, DUE + timedelta(hours=4), RecipientRole.SECRETARIAT)
LADDER = (W50, W75, L1, L2, L3)


def test_after_downtime_only_the_highest_level_due_fires_and_the_rest_say_why():
    now = L3.at + timedelta(minutes=2)

    plan = plan_fires([(DEADLINE, s) for s in LADDER], now)

    (fired,) = plan.fires
    assert fired.step is L3
    assert isinstance(fired.event, DeadlineMissed)
    assert (fired.event.escalation_level, fired.event.fired_at) == (3, now)
    assert fired.event_id == step_event_id(DEADLINE.referral_id, L3.step_no)
    notes = {skip.step.step_no: skip.note for skip in plan.skips}
    assert notes == {
        0: "deadline already passed: the escalation carries the news",
        1: "deadline already passed: the escalation carries the news",
        2: "level 3 was due as well and carries the news: only it fires",
        3: "level 3 was due as well and carries the news: only it fires",
    }
    # The deadline passed unaccepted: a breach is counted for the skipped level 1.
    assert [skip.step.step_no for skip in plan.skips if skip.breach] == [2]


def test_a_higher_level_locked_by_another_batch_still_supersedes():
    # This batch holds only level 1; level 3 is due too, in the next batch (or fired).
    plan = plan_fires([(DEADLINE, L1)], L3.at, reached={DEADLINE.referral_id: 3})

    assert plan.fires == []
    assert [(s.step.step_no, s.note) for s in plan.skips] == [
        (2, "level 3 was due as well and carries the news: only it fires")
    ]


def test_levels_that_come_due_one_by_one_each_fire():
    plan_1 = plan_fires([(DEADLINE, s) for s in (L1, L2, L3)], DUE)
    plan_2 = plan_fires([(DEADLINE, s) for s in (L2, L3)], L2.at, reached={DEADLINE.referral_id: 1})

    assert [f.step for f in plan_1.fires] == [L1]
    assert [f.step for f in plan_2.fires] == [L2]
    assert plan_1.skips == plan_2.skips == []


def test_a_fire_knows_when_it_was_due_an_escalation_after_the_grace():
    grace = timedelta(seconds=5)
    now = DUE + grace

    plan = plan_fires([(DEADLINE, W75), (DEADLINE, L1)], W75.at + timedelta(minutes=1), grace=grace)
    (warning,) = plan.fires
    assert warning.due == W75.at
    assert isinstance(warning.event, DeadlineWarning)

    (escalation,) = plan_fires([(DEADLINE, L1)], now, grace=grace).fires
    assert escalation.due == DUE + grace


def test_a_package_with_every_referral_accepted_is_met_else_one_alert():
    met = PackageDue(uuid.uuid4(), DUE, ())
    waiting = UnacceptedReferral(
        referral_id=DEADLINE.referral_id,
        service=ServiceType.LEGAL_AID,
        provider_id="legal-1",
        due_at=DUE,
    )
    missed = PackageDue(DEADLINE.case_id, DUE, (waiting,))

    settled = settle_packages([met, missed], DUE + timedelta(minutes=1))

    assert settled[0] == (met.case_id, None, None)
    case_id, event_id, alert = settled[1]
    assert (case_id, event_id) == (missed.case_id, package_event_id(missed.case_id))
    assert alert is not None
    assert alert.unaccepted == (waiting,)
    assert alert.notify is RecipientRole.CASE_COORDINATOR


def _request(referral_id: uuid.UUID, *, overdue_since: datetime | None = None):
    return ReferralRequested(
        referral_id=referral_id,
        case_id=DEADLINE.case_id,
        agency_id="pdrm-kl",
        service=ServiceType.LEGAL_AID,
        provider_id="legal-1",
        attempt=1,
        urgent=False,
        reasons=("every identified child",),
        requested_at=REQUESTED,
        due_at=DUE,
        escalation=tuple(
            EscalationStep(
                kind=s.kind, level=s.level, percent_of_window=s.percent_of_window, at=s.at,
                notify=s.notify,
            )
            for s in LADDER
        ),
        policy_version="test-1",
        child=ChildSummary(age_years=None, age_disputed=False, gender="unknown", languages=()),
        overdue_since=overdue_since,
        package_due_at=REQUESTED + timedelta(hours=72),
    )  # fmt: skip


def test_requests_start_a_clock_once_keep_a_closed_window_and_raise_an_overdue_alert():
    new, closed, known, late = (uuid.uuid4() for _ in range(4))
    requests = [
        _request(new),
        _request(new),  # the same referral again in the run
        _request(closed),
        _request(known),
        _request(late, overdue_since=REQUESTED - timedelta(days=2)),
    ]
    stored = {
        closed: DeadlineState(DeadlineStatus.CLOSED, requested=False),
        known: DeadlineState(DeadlineStatus.OPEN, requested=True),
    }

    received = receive_requests(requests, stored, REQUESTED)

    assert [d.referral_id for d in received.opened] == [new, late]
    assert [d.referral_id for d in received.filled] == [closed]
    assert received.duplicates == [1, 3]
    assert [(r.index, r.status) for r in received.recorded] == [
        (0, DeadlineStatus.OPEN),
        (2, DeadlineStatus.CLOSED),
        (4, DeadlineStatus.OPEN),
    ]
    closed_steps = received.recorded[1].steps
    assert {state for _, state, _ in closed_steps} == {StepState.CANCELLED}
    ((event_id, missed),) = received.overdue
    assert event_id == step_event_id(late, OVERDUE_STEP_NO)
    assert missed.overdue_at_request
    assert received.recorded[2].steps[-1][0].step_no == OVERDUE_STEP_NO
    assert received.packages == {DEADLINE.case_id: REQUESTED + timedelta(hours=72)}


def test_a_run_of_requests_says_when_the_first_thing_it_stored_comes_due():
    first, closed = uuid.uuid4(), uuid.uuid4()
    stored = {closed: DeadlineState(DeadlineStatus.CLOSED, requested=False)}

    received = receive_requests([_request(first), _request(closed)], stored, REQUESTED)

    # The open ladder's first pending step; the closed one's steps are all cancelled.
    assert received.earliest_due() == min(s.at for s in LADDER)
    assert receive_requests([_request(closed)], stored, REQUESTED).earliest_due() == (
        REQUESTED + timedelta(hours=72)  # only the package deadline is pending
    )
    assert receive_requests([], {}, REQUESTED).earliest_due() is None


def _failed(cause_type: str, recipient: str = "legal-1", *, referral: bool = True):
    return NotificationFailed(
        notification_id=uuid.uuid4(),
        case_id=DEADLINE.case_id,
        referral_id=DEADLINE.referral_id if referral else None,
        cause_event_id=uuid.uuid4(),
        cause_type=cause_type,
        recipient=recipient,
        channel=Channel.WEBHOOK,
        attempts=1,
        failed_at=REQUESTED,
        error="endpoint answered HTTP 410",
    )


def test_an_undelivered_referral_raises_its_lowest_pending_escalation_marked_undelivered():
    decision = on_failure(_failed(ReferralRequested.event_type), None)

    assert decision.verdict is FailureVerdict.RAISE
    assert decision.level is None  # the lowest still pending: level 1 unless already raised
    assert decision.referral_undelivered
    assert decision.cause == "the referral could not be delivered to legal-1"
    event = early_escalation(DEADLINE, L1, decision, REQUESTED + timedelta(minutes=1))
    assert event.referral_undelivered
    assert (event.escalation_level, event.cause) == (1, decision.cause)
    assert event.fired_at == REQUESTED + timedelta(minutes=1)


@pytest.mark.parametrize(("failed_level", "raised"), [(1, 2), (2, 3)])
def test_an_undelivered_escalation_raises_the_next_level(failed_level: int, raised: int):
    failed = _failed(DeadlineMissed.event_type, "case_coordinator")

    decision = on_failure(failed, failed_level)

    assert (decision.verdict, decision.level) == (FailureVerdict.RAISE, raised)
    assert not decision.referral_undelivered
    assert decision.cause == f"level {failed_level} could not be delivered to case_coordinator"


@pytest.mark.parametrize(
    ("failed", "level", "verdict"),
    [
        (_failed(DeadlineMissed.event_type, "secretariat"), HIGHEST_LEVEL, "nobody_above"),
        (_failed(DeadlineWarning.event_type), None, "nothing"),
        (_failed(DeadlineMissed.event_type), None, "nothing"),  # not an escalation of ours
        (_failed(ReferralRequested.event_type, referral=False), None, "nothing"),
    ],
)
def test_what_raises_nothing(failed: NotificationFailed, level: int | None, verdict: str):
    assert on_failure(failed, level).verdict == verdict
