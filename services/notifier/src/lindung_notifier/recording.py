"""Recording a pass's attempts: the attempts, the state changes and their events, together.

A pass is ONE unit of work (`lindung_common.Units`): the attempts, the deliveries' new
states and the `NotificationDelivered` / `NotificationFailed` events in the outbox commit
together. An outcome applies only while this dispatcher still holds the delivery, so one
that was taken over after its lease ran out is never recorded twice. What is not recorded
is sent again once its lease runs out: nothing is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import structlog
from lindung_common import classify
from lindung_contracts import Channel, NotificationDelivered, NotificationFailed, RecipientRole

from .adapters import postgres
from .domain import Delivered, GaveUp, Outcome, RetryLater
from .metrics import ATTEMPTS

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_common import Units
    from lindung_contracts import Envelope

    from .on_call import OnCall

__all__ = ["Recorder", "not_recorded"]

log = structlog.get_logger(__name__)


class Recorder:
    """Records attempts through the unit of work, logging and counting each once committed."""

    def __init__(self, units: Units, on_call: OnCall | None = None) -> None:
        self._units = units
        self._events = units.events
        self._on_call = on_call

    async def record(self, attempts: list[postgres.Attempt]) -> None:
        """Record the pass in one transaction; attempt by attempt if the database refuses it.

        Raises while the database is unavailable: the pass is then left to its leases.
        """
        if not attempts:
            return
        if self._on_call is not None:
            attempts = self._on_call.cap(attempts)
        try:
            await self._record_together(attempts)
        except Exception as exc:
            failure = classify(exc)
            if failure.transient:
                raise
            if len(attempts) == 1:
                not_recorded(attempts[0].delivery, failure.reason)
                return
            # Refused for good: so that one refused attempt does not hold back the others.
            log.warning("pass refused; recording its attempts one by one", reason=failure.reason)
            for attempt in attempts:
                try:
                    await self._record_together([attempt])
                except Exception as alone:
                    failure = classify(alone)
                    if failure.transient:
                        raise
                    not_recorded(attempt.delivery, failure.reason)

    async def _record_together(self, attempts: list[postgres.Attempt]) -> None:
        """Record attempts, the state changes and their events in one unit of work."""
        async with self._units.open() as work:
            applied = await postgres.record_attempts(work.conn, attempts)
            done = [a for a in attempts if a.delivery.notification_id in applied]
            # A person not reached: the alert goes on to its next holder, not reported failed.
            handed = await self._on_call.hand_over(work, done) if self._on_call else set()
            done = [a for a in done if a.delivery.notification_id not in handed]
            roles = await self._on_call.roles(work, done) if self._on_call else {}
            work.emit_envelopes(
                *(
                    e
                    for a in done
                    if (e := self._event(a, roles.get(a.delivery.notification_id))) is not None
                )
            )

            def logged() -> None:
                delivered = []
                for attempt in attempts:
                    if attempt.delivery.notification_id not in applied:
                        _log(attempt.delivery).info(
                            "outcome not recorded: another dispatcher took over"
                        )
                    elif isinstance(attempt.outcome, Delivered):
                        ATTEMPTS.labels(attempt.delivery.channel.value, "delivered").inc()
                        delivered.append(_described(attempt.delivery, attempt.outcome))
                    else:
                        _report_outcome(attempt.delivery, attempt.outcome)
                if delivered:
                    # One line for the pass: a line each cost as much as recording them.
                    log.info("notifications delivered", count=len(delivered), delivered=delivered)

            work.after_commit(logged)

    def _event(self, attempt: postgres.Attempt, role: str | None = None) -> Envelope[Any] | None:
        facts = _facts(attempt.delivery, role)
        match attempt.outcome:
            case Delivered(at=at, status_code=code):
                return self._events.wrap(
                    NotificationDelivered(**facts, delivered_at=at, status_code=code)
                )
            case GaveUp(at=at, error=error):
                return self._events.wrap(NotificationFailed(**facts, failed_at=at, error=error))
            case RetryLater():
                return None


def not_recorded(delivery: postgres.ClaimedDelivery, reason: str) -> None:
    """Log an attempt left unrecorded; its lease runs out and it is attempted again."""
    _log(delivery).error("delivery attempt not recorded", reason=reason)


class _Facts(TypedDict):
    notification_id: UUID
    case_id: UUID
    referral_id: UUID | None
    cause_event_id: UUID
    cause_type: str
    recipient: str
    channel: Channel
    attempts: int
    role: RecipientRole | None


def _facts(delivery: postgres.ClaimedDelivery, role: str | None = None) -> _Facts:
    return {
        "notification_id": delivery.notification_id,
        "case_id": delivery.case_id,
        "referral_id": delivery.referral_id,
        "cause_event_id": delivery.cause_event_id,
        "cause_type": delivery.cause_type,
        "recipient": delivery.recipient.name,
        "channel": delivery.channel,
        "attempts": delivery.attempt,
        "role": RecipientRole(role) if role is not None else None,  # a person on call for it
    }


def _report_outcome(delivery: postgres.ClaimedDelivery, outcome: Outcome) -> None:
    bound = _log(delivery)
    channel = delivery.channel.value
    match outcome:
        case Delivered(status_code=code):
            ATTEMPTS.labels(channel, "delivered").inc()
            bound.info("notification delivered", status_code=code)
        case RetryLater(at=at, error=error):
            ATTEMPTS.labels(channel, "retry").inc()
            bound.warning("delivery attempt failed", error=error, retry_at=at.isoformat())
        case GaveUp(error=error):
            ATTEMPTS.labels(channel, "gave_up").inc()
            bound.error("notification failed", error=error)


def _log(delivery: postgres.ClaimedDelivery) -> Any:
    return log.bind(**_described(delivery))


def _described(delivery: postgres.ClaimedDelivery, outcome: Delivered | None = None) -> Any:
    """What a log line says of a delivery (ids and the recipient's role, no personal data)."""
    described = {
        "notification_id": str(delivery.notification_id),
        "event_id": str(delivery.cause_event_id),
        "case_id": str(delivery.case_id),
        "referral_id": str(delivery.referral_id) if delivery.referral_id else None,
        "recipient": delivery.recipient.describe(),
        "attempt": delivery.attempt,
    }
    if outcome is not None:
        described["status_code"] = outcome.status_code
    return described
