"""Alerts to coordinators and supervisors as intake mirrors them, and acknowledging one.

Intake keeps the alerts the sla-monitor, the router and the notifier raise for people (a
late referral's escalation, a case's package deadline, no provider left, a detained child,
a notice that could not be delivered, a legal time limit missed), each with the
state of its case, so a coordinator sees those of the states they cover, addressed to
their role (`shown_to`). Acknowledging one takes ownership (`AlertAcknowledged`); it
accepts nothing. An alert of a state the caller does not cover, or addressed to another
role, gets the same answer as an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lindung_contracts import (
    AlertAcknowledged,
    AlertKind,
    DeadlineMissed,
    DetentionEscalated,
    LegalClockMissed,
    NoProviderAvailable,
    NotificationFailed,
    PackageDeadlineMissed,
)

from .auth import PrincipalKind
from .refusal import Refusal, RefusalKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import Payload

    from .auth import Principal

__all__ = [
    "ALERT_EVENTS",
    "Acknowledging",
    "Alert",
    "alert_of",
    "decide_acknowledgement",
    "may_see_alert",
    "shown_to",
]

# The events that are alerts to people, and what kind each is.
ALERT_EVENTS: dict[type[Payload], AlertKind] = {
    DeadlineMissed: AlertKind.DEADLINE_MISSED,
    PackageDeadlineMissed: AlertKind.PACKAGE_MISSED,
    NoProviderAvailable: AlertKind.NO_PROVIDER,
    DetentionEscalated: AlertKind.DETENTION,
    NotificationFailed: AlertKind.DELIVERY_FAILED,
    LegalClockMissed: AlertKind.LEGAL_CLOCK_MISSED,
}


@dataclass(frozen=True)
class Alert:
    """One alert as intake keeps it; `detail` says what was tried (ids and codes only)."""

    alert_id: UUID
    kind: AlertKind
    case_id: UUID
    referral_id: UUID | None
    escalation_level: int | None
    notify: str
    state: str | None
    raised_at: datetime
    detail: dict[str, Any]
    acknowledgement_id: UUID | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    # The person on call the notifier delivered it to (the rota's id), when one was.
    on_call: str | None = None


def alert_of(alert_id: UUID, payload: Payload, state: str | None) -> Alert | None:  # noqa: PLR0911 - one case each
    """The alert an event raises, with its case's state; None for an event that is none."""
    detail: dict[str, Any]
    match payload:
        case DeadlineMissed():
            detail = {
                "service": payload.service.value,
                "provider_id": payload.provider_id,
                "due_at": payload.due_at.isoformat(),
                "cause": payload.cause,
                "overdue_at_request": payload.overdue_at_request,
                "referral_undelivered": payload.referral_undelivered,
            }
            return Alert(alert_id, AlertKind.DEADLINE_MISSED, payload.case_id,
                         payload.referral_id, payload.escalation_level, payload.notify.value,
                         state, payload.fired_at, detail)  # fmt: skip
        case PackageDeadlineMissed():
            unaccepted = [u.model_dump(mode="json") for u in payload.unaccepted]
            detail = {"due_at": payload.due_at.isoformat(), "unaccepted": unaccepted}
            return Alert(alert_id, AlertKind.PACKAGE_MISSED, payload.case_id, None, None,
                         payload.notify.value, state, payload.fired_at, detail)  # fmt: skip
        case NoProviderAvailable():
            detail = {"service": payload.service.value, "tried": list(payload.tried)}
            return Alert(alert_id, AlertKind.NO_PROVIDER, payload.case_id, None, None,
                         "case_coordinator", state, payload.at, detail)  # fmt: skip
        case DetentionEscalated():
            detail = {
                "location": payload.location.value,
                "referrals": [r.model_dump(mode="json") for r in payload.referrals],
                "unmet": [s.value for s in payload.unmet],
            }
            return Alert(alert_id, AlertKind.DETENTION, payload.case_id, None, None,
                         payload.notify.value, payload.state.value, payload.at,
                         detail)  # fmt: skip
        case NotificationFailed():
            return _delivery_failed(alert_id, payload, state)
        case LegalClockMissed():
            return _legal_clock(alert_id, payload, state)
    return None


def _legal_clock(alert_id: UUID, payload: LegalClockMissed, state: str | None) -> Alert:
    """A legal time limit passed without its milestone: which, since when, and the law."""
    detail = {
        "clock": payload.clock,
        "started_by": payload.started_by.value,
        "started_at": payload.started_at.isoformat(),
        "stopped_by": payload.stopped_by.value,
        "due_at": payload.due_at.isoformat(),
        "source": payload.source,
    }
    return Alert(alert_id, AlertKind.LEGAL_CLOCK_MISSED, payload.case_id, None, None,
                 payload.notify.value, state, payload.fired_at, detail)  # fmt: skip


def _delivery_failed(alert_id: UUID, payload: NotificationFailed, state: str | None) -> Alert:
    """A notice the notifier gave up on: to the case coordinator, with what was tried.

    What it was (the event's type and id), to whom (a provider id or a role, as the
    notifier addressed it: never an address), over which channel, in how many attempts.
    The notifier's last error stays with the notifier: it may name an address.
    """
    detail = {
        "cause_type": payload.cause_type,
        "cause_event_id": str(payload.cause_event_id),
        "recipient": payload.recipient,
        "channel": payload.channel.value,
        "attempts": payload.attempts,
        "notification_id": str(payload.notification_id),
    }
    return Alert(alert_id, AlertKind.DELIVERY_FAILED, payload.case_id, payload.referral_id,
                 None, "case_coordinator", state, payload.failed_at, detail)  # fmt: skip


# Whose alerts each person's role is shown (`notify`: the role an alert is addressed to).
# A supervisor sees the case coordinator's too, as an escalation policy's higher level sees
# the lower ones: the second level is theirs when the first is not taken, and they may
# step in (acknowledge) before it fires. A coordinator sees only their own. The
# secretariat's alerts reach no person at the desk: no role signs in as the secretariat.
_SHOWN: dict[str, frozenset[str]] = {
    "coordinator": frozenset({"case_coordinator"}),
    "supervisor": frozenset({"case_coordinator", "supervisor"}),
}


def shown_to(principal: Principal) -> frozenset[str] | None:
    """The roles whose alerts the caller is shown; None: every role's (a coordinator's key).

    A machine's coordinator key has no person and no role: it keeps reading every alert
    of its states, as the API has always given it.
    """
    if principal.kind is not PrincipalKind.COORDINATOR:
        return frozenset()
    if not principal.role:
        return None
    return _SHOWN.get(principal.role, frozenset())


def may_see_alert(alert: Alert | None, principal: Principal) -> bool:
    """A coordinator (or supervisor) sees the alerts of their states and role; nobody else."""
    if alert is None or principal.kind is not PrincipalKind.COORDINATOR:
        return False
    roles = shown_to(principal)
    return principal.covers(alert.state) and (roles is None or alert.notify in roles)


@dataclass(frozen=True)
class Acknowledging:
    """What an acknowledgement does: a new one, a repeat of the first, or a refusal."""

    event: AlertAcknowledged | None = None
    first: Alert | None = None
    refusal: Refusal | None = None


def decide_acknowledgement(
    alert: Alert | None,
    principal: Principal,
    *,
    alert_id: UUID,
    acknowledgement_id: UUID,
    at: datetime,
) -> Acknowledging:
    """Take ownership of an alert the caller may see; the first acknowledgement stands.

    Acknowledging it again (by anyone) changes nothing and returns who owns it since when.
    """
    if alert is None or not may_see_alert(alert, principal):
        return Acknowledging(
            refusal=Refusal.of(RefusalKind.NOT_FOUND, "path", f"alert {alert_id} not found")
        )
    if alert.acknowledgement_id is not None:
        return Acknowledging(first=alert)
    event = AlertAcknowledged(
        acknowledgement_id=acknowledgement_id,
        alert_id=alert.alert_id,
        kind=alert.kind,
        case_id=alert.case_id,
        # Only a referral's escalation names its referral; the other alerts concern the case.
        referral_id=alert.referral_id if alert.kind is AlertKind.DEADLINE_MISSED else None,
        escalation_level=alert.escalation_level,
        coordinator_id=principal.id,
        acknowledged_at=at,
    )
    return Acknowledging(event=event)
