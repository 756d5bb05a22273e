"""Alerts to coordinators and supervisors: mirrored from Kafka, listed, acknowledged.

The mirror keeps each alert event (`domain.alert_of`) with its case's state. A coordinator
lists the alerts of the states they cover and acknowledges one: one unit of work that
locks the alert, decides (`domain.decide_acknowledgement`), records the owner and queues
`AlertAcknowledged` for the sla-monitor, whose next level then waits the policy's window.
Independent of HTTP: the API and the desk's pages call the same use cases.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import structlog

from lindung_intake.adapters import alerts as db
from lindung_intake.domain import PrincipalKind, alert_of, decide_acknowledgement, shown_to
from lindung_intake.use_cases.errors import refused

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_common import Units, Work
    from lindung_contracts import Envelope

    from lindung_intake.domain import Alert, Principal

__all__ = ["Acknowledgement", "Alerts", "mirror_alerts", "mirror_holders"]

log = structlog.get_logger(__name__)


async def mirror_alerts(work: Work, envelopes: list[Envelope[Any]]) -> None:
    """Keep each alert to people once, with the state of its case."""
    states = await db.case_states(work.conn, [e.data.case_id for e in envelopes])
    found = [alert_of(e.id, e.data, states.get(e.data.case_id)) for e in envelopes]
    alerts = [alert for alert in found if alert is not None]
    await db.insert_alerts(work.conn, alerts)

    def logged() -> None:
        for a in alerts:
            log.info("alert kept", alert_id=str(a.alert_id), kind=a.kind.value,
                     case_id=str(a.case_id), state=a.state)  # fmt: skip

    work.after_commit(logged)


async def mirror_holders(work: Work, envelopes: list[Envelope[Any]]) -> None:
    """Keep who on call received each alert, from the notifier's `NotificationDelivered`.

    Only a delivery to a person on a role's rota (`role` set) names a holder; its
    `cause_event_id` is the alert's id.
    """
    held = [
        db.Held(e.data.cause_event_id, e.data.recipient, e.data.role.value, e.data.delivered_at)
        for e in envelopes
        if e.data.role is not None
    ]
    await db.note_holders(work.conn, held)


@dataclass(frozen=True)
class Acknowledgement:
    """The alert as it stands after the acknowledgement; `created` is false for a repeat."""

    alert: Alert
    created: bool


class Alerts:
    """What coordinators and supervisors do with the alerts addressed to them."""

    def __init__(self, units: Units) -> None:
        self._units = units

    async def list_for(self, principal: Principal, *, limit: int = 100) -> list[Alert]:
        """The caller's alerts (of their states and role): the open ones first, newest first.

        At most `limit` open ones and `limit` taken ones.
        """
        roles = shown_to(principal)
        if principal.kind is not PrincipalKind.COORDINATOR or roles == frozenset():
            return []
        async with self._units.connection() as work:
            alerts = await db.list_alerts(work.conn, principal.states, roles, limit)
            on_call = await db.holders_of(work.conn, [a.alert_id for a in alerts])
        return [replace(a, on_call=on_call.get(a.alert_id)) for a in alerts]

    async def count_for(self, principal: Principal) -> tuple[int, int]:
        """How many of the caller's alerts are open, and how many taken (all, not a page)."""
        roles = shown_to(principal)
        if principal.kind is not PrincipalKind.COORDINATOR or roles == frozenset():
            return 0, 0
        async with self._units.connection() as work:
            return await db.count_alerts(work.conn, principal.states, roles)

    async def acknowledge(self, principal: Principal, alert_id: UUID) -> Acknowledgement:
        """Take ownership of an alert: `AlertAcknowledged` queued; the first one stands.

        An alert of a state the caller does not cover is not found, like an unknown id.
        """
        async with self._units.open() as work:
            alert = await db.find_alert(work.conn, alert_id, lock=True)
            decided = decide_acknowledgement(
                alert,
                principal,
                alert_id=alert_id,
                acknowledgement_id=work.new_id(),
                at=work.now,
            )
            if decided.refusal is not None:
                raise refused(decided.refusal)
            if decided.first is not None:
                return Acknowledgement(decided.first, created=False)
            event = decided.event
            assert alert is not None  # a new acknowledgement is of a known alert; for mypy
            assert event is not None  # a decision without a refusal or a repeat; for mypy
            await db.mark_acknowledged(work.conn, event)
            work.emit(event)
            work.after_commit(
                lambda: log.info("alert acknowledged", alert_id=str(alert_id),
                                 case_id=str(event.case_id), kind=event.kind.value,
                                 coordinator_id=principal.id)
            )  # fmt: skip
        acknowledged = replace(
            alert,
            acknowledgement_id=event.acknowledgement_id,
            acknowledged_by=event.coordinator_id,
            acknowledged_at=event.acknowledged_at,
        )
        return Acknowledgement(acknowledged, created=True)
