"""What a run of referral requests does: clocks to start, ladders to store, alerts to raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .closing import DeadlineState, DeadlineStatus, RequestOutcome, initial_step_state, on_request
from .ladder import (
    OVERDUE_STEP_NO,
    Deadline,
    Step,
    StepState,
    overdue_escalation,
    step_event_id,
    step_from_contract,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from lindung_contracts import DeadlineMissed, ReferralRequested

__all__ = ["Received", "Recorded", "receive_requests"]

StoredStep = tuple[Step, StepState, str | None]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request that changed something: its position in the run, its clock, its ladder."""

    index: int
    status: DeadlineStatus
    steps: list[StoredStep]


@dataclass
class Received:
    """What a run of requests does, to be saved and raised in one unit of work."""

    opened: list[Deadline] = field(default_factory=list)
    # Closed before the request arrived: the window is kept, no clock starts.
    filled: list[Deadline] = field(default_factory=list)
    ladders: list[tuple[uuid.UUID, list[StoredStep]]] = field(default_factory=list)
    recorded: list[Recorded] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    # Late before the request: one escalation each, raised now with its fixed id.
    overdue: list[tuple[uuid.UUID, DeadlineMissed]] = field(default_factory=list)
    packages: dict[uuid.UUID, datetime] = field(default_factory=dict)

    def earliest_due(self) -> datetime | None:
        """The earliest time a pending step or a package stored here comes due, if any."""
        times = [step.at for _, steps in self.ladders for step, state, _ in steps
                 if state is StepState.PENDING]  # fmt: skip
        times += self.packages.values()
        return min(times, default=None)


def receive_requests(
    requests: Sequence[ReferralRequested], known: Mapping[uuid.UUID, DeadlineState], now: datetime
) -> Received:
    """Start each new referral's clock and ladder once; a repeat changes nothing.

    `known` is what is stored of these referrals; a referral met twice in the run counts
    as known the second time.
    """
    seen = dict(known)
    out = Received()
    for index, request in enumerate(requests):
        outcome = on_request(seen.get(request.referral_id))
        if outcome is RequestOutcome.DUPLICATE:
            out.duplicates.append(index)
            continue
        deadline = Deadline(
            referral_id=request.referral_id,
            case_id=request.case_id,
            provider_id=request.provider_id,
            service=request.service,
            requested_at=request.requested_at,
            due_at=request.due_at,
            acknowledgement_window_seconds=request.acknowledgement_window_seconds,
        )
        status = DeadlineStatus.OPEN if outcome is RequestOutcome.OPEN else DeadlineStatus.CLOSED
        (out.opened if status is DeadlineStatus.OPEN else out.filled).append(deadline)
        seen[request.referral_id] = DeadlineState(status=status, requested=True)
        steps = [step_from_contract(n, s) for n, s in enumerate(request.escalation)]
        stored = [(step, *initial_step_state(step, status)) for step in steps]
        if status is DeadlineStatus.OPEN and request.overdue_since is not None:
            step, missed = overdue_escalation(deadline, request.overdue_since, now)
            stored.append((step, StepState.PENDING, None))
            out.overdue.append((step_event_id(request.referral_id, OVERDUE_STEP_NO), missed))
        out.ladders.append((request.referral_id, stored))
        out.recorded.append(Recorded(index, status, stored))
    out.packages = {r.case_id: r.package_due_at for r in requests if r.package_due_at is not None}
    return out
