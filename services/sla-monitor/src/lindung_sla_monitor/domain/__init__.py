"""The sla-monitor's rules: pure functions of the deadline, its ladder and the time."""

from .closing import (
    CLOSING_EVENTS,
    CloseOutcome,
    CloseReason,
    DeadlineState,
    DeadlineStatus,
    RequestOutcome,
    close_reason,
    initial_step_state,
    on_close,
    on_request,
)
from .ladder import (
    Deadline,
    Step,
    StepState,
    Verdict,
    deadline_event,
    due_steps,
    step_event_id,
    step_from_contract,
    step_problem,
    verdict,
)

__all__ = [
    "CLOSING_EVENTS",
    "CloseOutcome",
    "CloseReason",
    "Deadline",
    "DeadlineState",
    "DeadlineStatus",
    "RequestOutcome",
    "Step",
    "StepState",
    "Verdict",
    "close_reason",
    "deadline_event",
    "due_steps",
    "initial_step_state",
    "on_close",
    "on_request",
    "step_event_id",
    "step_from_contract",
    "step_problem",
    "verdict",
]
