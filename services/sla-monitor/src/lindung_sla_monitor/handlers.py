"""The sla-monitor's consumers: each loads, decides and saves inside the consume path's unit."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from lindung_common import Consumer
from lindung_contracts import (
    ALERT_ACKNOWLEDGEMENTS,
    CASES,
    NOTIFICATIONS,
    REFERRALS,
    AlertAcknowledged,
    CapacityChanged,
    CaseClosed,
    CaseMilestoneRecorded,
    NotificationFailed,
    ReferralCompleted,
    ReferralPaused,
    ReferralRequested,
    ReferralResumed,
)

from .acknowledgements import Acknowledgements
from .adapters import ladders, offers, outcomes
from .adapters import postgres as db
from .capacity import on_capacity_changed
from .closures import on_case_closed
from .domain import (
    CLOSING_EVENTS,
    OVERDUE_STEP_NO,
    CloseOutcome,
    StepState,
    close_reason,
    on_close,
    receive_requests,
)
from .escalations import DeliveryFailures
from .legal_clocks import LegalClocks
from .metrics import count_fired

if TYPE_CHECKING:
    from lindung_common import Events, Handler, Work
    from lindung_contracts import Envelope, Payload

    from .domain import Recorded
    from .domain.legal_clocks import LegalClockPolicy

__all__ = ["CONSUMER", "Handlers"]

CONSUMER = "sla-monitor"
log = structlog.get_logger(__name__)


class Handlers:
    """What the sla-monitor does with each event it reads: start, stop, pause a clock.

    `legal_clocks` chains a case's legal clocks to the milestones coordinators record.

    `channel` is where a stored deadline is announced (NOTIFY, at commit), so every
    instance's scheduler looks again at once.
    """

    def __init__(self, events: Events, channel: str, legal_clocks: LegalClockPolicy) -> None:
        self._events = events
        self._channel = channel
        self._legal_clocks = legal_clocks

    def consumer(self) -> Consumer:
        """What the sla-monitor reads, and the handler of each event type."""
        handlers: dict[type[Payload], Handler] = dict.fromkeys(CLOSING_EVENTS, self.on_closed)
        handlers[NotificationFailed] = DeliveryFailures(self._events).on_failed
        handlers[ReferralPaused] = self.on_paused
        handlers[ReferralResumed] = self.on_resumed
        handlers[AlertAcknowledged] = Acknowledgements(self._channel).on_acknowledged
        handlers[CaseClosed] = on_case_closed
        handlers[CapacityChanged] = on_capacity_changed
        handlers[CaseMilestoneRecorded] = LegalClocks(
            self._legal_clocks, self._channel, self._events
        ).on_milestone
        return Consumer(
            name=CONSUMER,
            topics=(REFERRALS, NOTIFICATIONS, ALERT_ACKNOWLEDGEMENTS, CASES),
            handlers=handlers,
            run_handlers={ReferralRequested: self.on_requested},
        )

    async def on_requested(self, work: Work, envelopes: list[Envelope[Any]]) -> None:
        """Start each referral's clock and store its ladder, once, unless already closed."""
        requests: list[ReferralRequested] = [e.data for e in envelopes]
        known = await db.lock_referrals(work.conn, [r.referral_id for r in requests])
        received = receive_requests(requests, known, work.now)
        await db.insert_open_many(work.conn, received.opened)
        for deadline in received.filled:
            await db.fill_request(work.conn, deadline)
        await ladders.insert_ladders(work.conn, received.ladders, work.now)
        await offers.insert_members(work.conn, requests)
        announce = None
        if received.ladders:
            # Delivered at commit to every instance's scheduler, this one's and the leader's,
            # with the earliest time stored: a scheduler already waiting for an earlier one
            # has nothing to look at again.
            earliest = received.earliest_due()
            announce = (self._channel, "" if earliest is None else earliest.isoformat())
        # The facts, the package deadlines and the announcement: one statement.
        await db.insert_facts(
            work.conn,
            [requests[r.index] for r in received.recorded],
            received.packages,
            announce,
        )
        overdue = [
            self._events.wrap(missed, event_id=event_id, time=work.now)
            for event_id, missed in received.overdue
        ]
        if overdue:
            # Raised here and now, and stored as fired with its event: exactly once.
            fired = [(e.data.referral_id, OVERDUE_STEP_NO, e.id) for e in overdue]
            await ladders.mark_fired(work.conn, fired, work.now)
            work.emit_envelopes(*overdue)

        def logged() -> None:
            for index in received.duplicates:
                log.info("referral already known; request ignored", **_ids(envelopes[index]))
            if received.recorded:
                _log_recorded([(envelopes[e.index], e) for e in received.recorded])
            for late in overdue:  # late from the start: a breach, raised on time
                count_fired(late.data, timedelta(0))

        work.after_commit(logged)

    async def on_closed(self, work: Work, envelope: Envelope[Any]) -> None:
        """Stop the referral's clock; remember the closure even if the request is still to come."""
        fact = envelope.data
        reason = close_reason(fact)
        if reason is None:  # pragma: no cover - only closing events are routed here
            return
        outcome = on_close(await db.lock_referral(work.conn, fact.referral_id))
        if isinstance(fact, ReferralCompleted):  # the closed loop, for "services delivered"
            await outcomes.insert_completion(work.conn, fact)
        cancelled = 0
        if outcome is CloseOutcome.CLOSE:
            cancelled = await db.close_deadline(work.conn, fact.referral_id, reason, fact.at)
        elif outcome is CloseOutcome.CLOSE_UNSEEN:
            await db.insert_closed(
                work.conn,
                referral_id=fact.referral_id,
                case_id=fact.case_id,
                provider_id=fact.provider_id,
                service=fact.service,
                reason=reason,
                closed_at=fact.at,
            )
        work.after_commit(
            lambda: log.info(
                "deadline closed",
                reason=reason.value,
                outcome=outcome.value,
                cancelled=cancelled,
                **_ids(envelope),
            )
        )

    async def on_paused(self, work: Work, envelope: Envelope[Any]) -> None:
        """A coordinator stopped the referral's clock: nothing of its ladder fires meanwhile."""
        fact: ReferralPaused = envelope.data
        paused = await db.pause_deadline(work.conn, fact.referral_id, fact.at)
        work.after_commit(lambda: log.info("deadline paused", paused=paused, **_ids(envelope)))

    async def on_resumed(self, work: Work, envelope: Envelope[Any]) -> None:
        """The clock runs again; the deadline and every unfired step move by the pause."""
        fact: ReferralResumed = envelope.data
        moved = await db.resume_deadline(work.conn, fact.referral_id, fact.at)
        seconds = None if moved is None else moved.total_seconds()
        work.after_commit(
            lambda: log.info("deadline resumed", moved_seconds=seconds, **_ids(envelope))
        )


def _ids(envelope: Envelope[Any]) -> dict[str, str]:
    return {
        "event_id": str(envelope.id),
        "case_id": str(envelope.data.case_id),
        "referral_id": str(envelope.data.referral_id),
    }


def _log_recorded(recorded: list[tuple[Envelope[Any], Recorded]]) -> None:
    """One line for a run of deadlines recorded (a line each cost as much as storing them)."""
    log.info(
        "deadlines recorded",
        count=len(recorded),
        deadlines=[
            {
                **_ids(envelope),
                "status": entry.status.value,
                "due_at": envelope.data.due_at.isoformat(),
                "steps": len(entry.steps),
                "skipped_steps": [
                    s.step_no for s, state, _ in entry.steps if state is StepState.SKIPPED
                ],
            }
            for envelope, entry in recorded
        ],
    )
