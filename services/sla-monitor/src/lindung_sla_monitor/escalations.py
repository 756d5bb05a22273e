"""A delivery that failed for good escalates at once (the rule: `domain/failures.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import DeadlineMissed

from .adapters import ladders, offers
from .adapters import postgres as db
from .domain import FailureVerdict, early_escalation, on_failure, step_event_id

if TYPE_CHECKING:
    from lindung_common import Events, Work
    from lindung_contracts import Envelope, NotificationFailed

__all__ = ["DeliveryFailures"]

log = structlog.get_logger(__name__)


class DeliveryFailures:
    """The handler of NotificationFailed."""

    def __init__(self, events: Events) -> None:
        self._events = events

    async def on_failed(self, work: Work, envelope: Envelope[Any]) -> None:
        """Raise the escalation a failed delivery calls for, if one is still pending."""
        failed: NotificationFailed = envelope.data
        await db.insert_failure(work.conn, failed)  # for the dashboard, whatever follows
        fired = None
        if failed.cause_type == DeadlineMissed.event_type:  # which level failed to reach
            fired = await ladders.fired_by(work.conn, failed.cause_event_id)
        decision = on_failure(failed, None if fired is None else fired[2])
        bound = log.bind(
            case_id=str(failed.case_id),
            referral_id=str(failed.referral_id),
            recipient=failed.recipient,
        )
        if decision.verdict is FailureVerdict.NOBODY_ABOVE:
            # The last level failed too: nobody above it. The error log is the alarm.
            work.after_commit(lambda: bound.error("the highest escalation could not be delivered"))
            return
        if decision.verdict is FailureVerdict.NOTHING or failed.referral_id is None:
            return
        found = await ladders.lock_pending_escalation(work.conn, failed.referral_id, decision.level)
        if found is None:
            # Accepted or closed meanwhile, or that level was already raised.
            work.after_commit(
                lambda: bound.info(
                    "delivery failed; no escalation left to raise",
                    referral_undelivered=decision.referral_undelivered,
                )
            )
            return
        deadline, step = found
        escalation = early_escalation(deadline, step, decision, work.now)
        raised = self._events.wrap(
            escalation, event_id=step_event_id(deadline.referral_id, step.step_no), time=work.now
        )
        await ladders.mark_fired(
            work.conn, [(deadline.referral_id, step.step_no, raised.id)], work.now
        )
        if not decision.referral_undelivered:
            # An alert that could not be delivered: its next level is the offer's, if the
            # referral is one of an offer. An undelivered referral is its provider's alone.
            await offers.claim_raised(work.conn, deadline.referral_id, step.step_no, raised.id)
        work.emit_envelopes(raised)
        work.after_commit(
            lambda: bound.warning(
                "escalation raised early: a delivery failed",
                level=step.level,
                referral_undelivered=decision.referral_undelivered,
                cause=decision.cause,
            )
        )
