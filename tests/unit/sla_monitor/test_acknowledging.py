"""An acknowledgement holds the next level back for the window; anything else is absorbed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import AlertAcknowledged, AlertKind, RecipientRole, StepKind
from lindung_sla_monitor.domain import (
    DEFAULT_ACKNOWLEDGEMENT_WINDOW,
    AckOutcome,
    DeadlineState,
    DeadlineStatus,
    Step,
    acknowledgement_window,
    on_acknowledgement,
)

DUE = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
OPEN = DeadlineState(status=DeadlineStatus.OPEN, requested=True)
LEVEL2 = Step(5, StepKind.ESCALATION, 2, 150, DUE + timedelta(hours=2), RecipientRole.SUPERVISOR)
LEVEL3 = Step(6, StepKind.ESCALATION, 3, 200, DUE + timedelta(hours=4), RecipientRole.SECRETARIAT)
WINDOW = timedelta(minutes=30)


def ack(
    at: datetime, *, level: int | None = 1, kind: AlertKind = AlertKind.DEADLINE_MISSED
) -> AlertAcknowledged:
    return AlertAcknowledged(
        acknowledgement_id=uuid.uuid4(),
        alert_id=uuid.uuid4(),
        kind=kind,
        case_id=uuid.uuid4(),
        referral_id=uuid.uuid4() if level is not None else None,
        escalation_level=level,
        coordinator_id="coordinator-sel",
        acknowledged_at=at,
    )


def decide(acknowledged, known=OPEN, *, raised=frozenset({1}), held=False, above=(LEVEL2, LEVEL3)):
    return on_acknowledgement(
        acknowledged,
        known,
        raised_levels=raised,
        held_before=held,
        pending_above=above,
        window=WINDOW,
    )


def test_level_2_due_within_the_window_moves_to_its_end_and_level_3_keeps_its_spacing():
    at = LEVEL2.at - timedelta(minutes=10)  # 20 minutes of the window would be cut off

    decided = decide(ack(at))

    assert decided.outcome is AckOutcome.HELD
    assert decided.held_until == at + WINDOW
    assert decided.moved_by == timedelta(minutes=20)
    assert LEVEL2.at + decided.moved_by == at + WINDOW  # waits exactly the window
    assert "level 2" in decided.note


def test_a_level_due_after_the_window_ends_does_not_move():
    decided = decide(ack(DUE + timedelta(minutes=5)))

    assert decided.outcome is AckOutcome.HELD
    assert decided.moved_by == timedelta(0)  # level 2 comes later than the window anyway


def test_once_level_2_fired_an_acknowledgement_of_level_1_holds_level_3():
    at = LEVEL3.at - timedelta(minutes=1)

    decided = decide(ack(at), raised=frozenset({1, 2}), above=(LEVEL3,))

    assert decided.outcome is AckOutcome.HELD
    assert LEVEL3.at + decided.moved_by == at + WINDOW


@pytest.mark.parametrize(
    ("acknowledged", "known", "raised", "held", "above", "outcome"),
    [
        pytest.param(
            ack(DUE, level=None, kind=AlertKind.PACKAGE_MISSED),
            OPEN,
            frozenset(),
            False,
            (),
            AckOutcome.CASE_ALERT,
            id="a case's alert",
        ),
        pytest.param(
            ack(DUE, level=None, kind=AlertKind.DELIVERY_FAILED),
            OPEN,
            frozenset({1}),
            False,
            (LEVEL3,),
            AckOutcome.CASE_ALERT,
            id="a notice not delivered",
        ),
        pytest.param(
            ack(DUE),
            None,
            frozenset(),
            False,
            (),
            AckOutcome.UNKNOWN_REFERRAL,
            id="unknown referral",
        ),
        pytest.param(
            ack(DUE),
            DeadlineState(status=DeadlineStatus.CLOSED, requested=True),
            frozenset({1}),
            False,
            (),
            AckOutcome.CLOSED,
            id="accepted meanwhile",
        ),
        pytest.param(
            ack(DUE), OPEN, frozenset({1}), True, (LEVEL2,), AckOutcome.REPEAT, id="a repeat"
        ),
        pytest.param(
            ack(DUE),
            OPEN,
            frozenset(),
            False,
            (LEVEL2,),
            AckOutcome.NOT_RAISED,
            id="level 1 not raised yet",
        ),
        pytest.param(
            ack(DUE, level=3),
            OPEN,
            frozenset({1, 2, 3}),
            False,
            (),
            AckOutcome.NOTHING_ABOVE,
            id="the last level",
        ),
    ],
)
def test_what_cannot_hold_anything_is_absorbed_with_its_reason(
    acknowledged, known, raised, held, above, outcome
):
    decided = decide(acknowledged, known, raised=raised, held=held, above=above)

    assert decided.outcome is outcome
    assert decided.note
    assert decided.held_until is None
    assert decided.moved_by == timedelta(0)


def test_a_referral_without_a_window_of_its_policy_gets_the_documented_thirty_minutes():
    assert acknowledgement_window(None) == DEFAULT_ACKNOWLEDGEMENT_WINDOW == timedelta(minutes=30)
    assert acknowledgement_window(90) == timedelta(seconds=90)
