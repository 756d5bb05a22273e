"""When a referral's clock stops, and what late and repeated events do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    NoProviderAvailable,
    RecipientRole,
    ReferralAccepted,
    ReferralCancelled,
    ReferralCompleted,
    ReferralDeclined,
    ReferralRerouted,
    ReferralStarted,
    ServiceType,
    StepKind,
)
from lindung_sla_monitor.domain import (
    CloseOutcome,
    CloseReason,
    DeadlineState,
    DeadlineStatus,
    RequestOutcome,
    Step,
    StepState,
    close_reason,
    initial_step_state,
    on_close,
    on_request,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FACT = {
    "referral_id": uuid.uuid4(),
    "case_id": uuid.uuid4(),
    "provider_id": "shelter-kl-1",
    "service": ServiceType.SAFE_SHELTER,
    "at": AT,
}
OPEN = DeadlineState(DeadlineStatus.OPEN, requested=True)
CLOSED = DeadlineState(DeadlineStatus.CLOSED, requested=True)
CLOSED_UNREQUESTED = DeadlineState(DeadlineStatus.CLOSED, requested=False)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (ReferralAccepted(**FACT), CloseReason.ACCEPTED),
        (ReferralDeclined(**FACT, reason="at_capacity"), CloseReason.DECLINED),
        (ReferralStarted(**FACT), CloseReason.STARTED),
        (ReferralCompleted(**FACT), CloseReason.COMPLETED),
        (ReferralCancelled(**FACT, reason="withdrawn"), CloseReason.CANCELLED),
        (
            ReferralRerouted(
                **FACT,
                reason="declined",
                new_referral_id=uuid.uuid4(),
                new_provider_id="shelter-kl-2",
            ),
            CloseReason.REROUTED,
        ),
        (
            NoProviderAvailable(
                case_id=FACT["case_id"],
                service=ServiceType.HEALTH,
                reasons=("every child",),
                tried=(),
                at=AT,
            ),
            None,
        ),
    ],
)
def test_which_events_stop_the_clock(payload, reason):
    assert close_reason(payload) == reason


@pytest.mark.parametrize(
    ("known", "outcome"),
    [
        (None, CloseOutcome.CLOSE_UNSEEN),
        (OPEN, CloseOutcome.CLOSE),
        (CLOSED, CloseOutcome.ALREADY_CLOSED),
        (CLOSED_UNREQUESTED, CloseOutcome.ALREADY_CLOSED),
    ],
)
def test_close_rules(known, outcome):
    assert on_close(known) is outcome


@pytest.mark.parametrize(
    ("known", "outcome"),
    [
        (None, RequestOutcome.OPEN),
        (OPEN, RequestOutcome.DUPLICATE),
        (CLOSED, RequestOutcome.DUPLICATE),
        # The closure overtook the request: keep the details, but no clock runs.
        (CLOSED_UNREQUESTED, RequestOutcome.RECORD_CLOSED),
    ],
)
def test_request_rules(known, outcome):
    assert on_request(known) is outcome


@pytest.mark.parametrize(
    ("step", "status", "state"),
    [
        (
            Step(0, StepKind.WARNING, 0, 50, AT, RecipientRole.PROVIDER),
            DeadlineStatus.OPEN,
            StepState.PENDING,
        ),
        (
            Step(0, StepKind.WARNING, 0, 50, AT, RecipientRole.PROVIDER),
            DeadlineStatus.CLOSED,
            StepState.CANCELLED,
        ),
        (
            Step(1, StepKind.ESCALATION, 0, 100, AT, RecipientRole.CASE_COORDINATOR),
            DeadlineStatus.OPEN,
            StepState.SKIPPED,
        ),
    ],
)
def test_how_a_received_step_is_stored(step, status, state):
    found, note = initial_step_state(step, status)
    assert found is state
    assert (note is None) == (state is StepState.PENDING)
