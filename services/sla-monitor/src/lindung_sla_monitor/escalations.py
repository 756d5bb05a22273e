"""A delivery that failed for good escalates: the coordinator or the next level is told now.

A referral the notifier could not deliver is treated like a missed deadline: its first
escalation is raised at once (the router re-routes it, the coordinator hears why). An
escalation that could not be delivered raises the next level at once. Each is the same
step the ladder would fire later, raised early and exactly once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from lindung_contracts import DeadlineMissed, NotificationFailed, ReferralRequested

from .adapters import postgres as db
from .domain import deadline_event, step_event_id

if TYPE_CHECKING:
    from lindung_common import Events, Work
    from lindung_contracts import Envelope

__all__ = ["DeliveryFailures"]

log = structlog.get_logger(__name__)
_HIGHEST_LEVEL = 3


class DeliveryFailures:
    """The handler of NotificationFailed."""

    def __init__(self, events: Events) -> None:
        self._events = events

    async def on_failed(self, work: Work, envelope: Envelope[Any]) -> None:
        """Raise the escalation a failed delivery calls for, if any is still pending."""
        failed: NotificationFailed = envelope.data
        await db.insert_failure(work.conn, failed)  # for the dashboard, whatever follows
        if failed.referral_id is None:
            return  # a case-level alert: nothing on a referral's ladder to raise
        if failed.cause_type == ReferralRequested.event_type:
            level = 1
            cause = f"the referral could not be delivered to {failed.recipient}"
        elif failed.cause_type == DeadlineMissed.event_type:
            fired = await db.fired_by(work.conn, failed.cause_event_id)
            if fired is None or fired[2] >= _HIGHEST_LEVEL:
                # The last level failed too: nobody above it. The error log is the alarm.
                log.error(
                    "the highest escalation could not be delivered",
                    case_id=str(failed.case_id),
                    referral_id=str(failed.referral_id),
                    recipient=failed.recipient,
                )
                return
            level = fired[2] + 1
            cause = f"level {fired[2]} could not be delivered to {failed.recipient}"
        else:
            return  # a warning: the escalation at the deadline still comes
        found = await db.lock_pending_escalation(work.conn, failed.referral_id, level)
        if found is None:
            return  # accepted or closed meanwhile, or that level was already raised
        deadline, step = found
        event = deadline_event(deadline, step, work.now)
        assert isinstance(event, DeadlineMissed)  # an escalation step; for mypy
        escalation = event.model_copy(update={"cause": cause[:500]})
        envelope_out = self._events.wrap(
            escalation, event_id=step_event_id(deadline.referral_id, step.step_no), time=work.now
        )
        await db.mark_fired(
            work.conn, [(deadline.referral_id, step.step_no, envelope_out.id)], work.now
        )
        work.emit_envelopes(envelope_out)
        work.after_commit(
            lambda: log.warning(
                "escalation raised early: a delivery failed",
                case_id=str(deadline.case_id),
                referral_id=str(deadline.referral_id),
                level=level,
                cause=cause,
            )
        )
