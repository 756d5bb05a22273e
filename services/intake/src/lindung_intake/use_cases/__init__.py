"""Intake's use cases: what the HTTP API, the Kafka door and the referral mirror do.

Every one is a unit of work (`lindung_common.Units`): load, decide with a pure function
of `lindung_intake.domain`, save, emit. A caller's mistake is a `ClientError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .alerts import Acknowledgement, Alerts, mirror_alerts
from .capacity import Capacities
from .cases import CaseRead, Cases
from .closing import Closings, on_cases_closed
from .coordination import CasePage, Coordination
from .errors import Busy, ClientError, Conflict, Forbidden, Invalid, NotFound
from .kafka_door import DOOR, KafkaDoor, announce_rejection
from .milestones import MilestoneRead, Milestones
from .mirror import CONSUMER, Mirror
from .notes import NoteRead, Notes, NotesRead, OldWords, seal_old_words
from .reassignments import Reassignments
from .referrals import ReferralRead, Referrals
from .waiting import Arrivals

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_common.keys import KeyRing
    from lindung_contracts import CaseOutcome, ReasonCode

    from lindung_intake.domain import Principal


__all__ = [
    "CONSUMER",
    "DOOR",
    "Acknowledgement",
    "Alerts",
    "Arrivals",
    "Busy",
    "Capacities",
    "CasePage",
    "CaseRead",
    "Cases",
    "ClientError",
    "Closings",
    "Conflict",
    "Coordination",
    "Forbidden",
    "Intake",
    "Invalid",
    "KafkaDoor",
    "MilestoneRead",
    "Milestones",
    "Mirror",
    "NotFound",
    "NoteRead",
    "Notes",
    "NotesRead",
    "OldWords",
    "Reassignments",
    "ReferralRead",
    "Referrals",
    "announce_rejection",
    "mirror_alerts",
    "on_cases_closed",
    "seal_old_words",
]


@dataclass(frozen=True)
class Intake:
    """What the HTTP API calls: the key ring, and the use cases of cases, referrals, notes."""

    keys: KeyRing
    cases: Cases
    referrals: Referrals
    notes: Notes
    alerts: Alerts
    reassignments: Reassignments
    closings: Closings
    coordination: Coordination  # the coordinator's reads at the desk
    capacities: Capacities  # providers' figures of free places
    milestones: Milestones  # a case's legal milestones, recorded by its coordinator

    async def acknowledge(self, principal: Principal, alert_id: UUID) -> Acknowledgement:
        """A coordinator takes ownership of an alert (see `Alerts.acknowledge`)."""
        return await self.alerts.acknowledge(principal, alert_id)

    async def reassign(
        self,
        principal: Principal,
        referral_id: UUID,
        provider_id: str | None,
        reason: ReasonCode,
        note: str | None = None,
    ) -> UUID:
        """A coordinator sends a referral to `provider_id`, or (None) the next suitable one.

        The request's id; `NotFound`, `Forbidden`, `Conflict` or `Invalid` when refused.
        """
        return await self.reassignments.reassign(principal, referral_id, provider_id, reason, note)

    async def close_case(
        self,
        principal: Principal,
        case_id: UUID,
        outcome: CaseOutcome,
        note: str | None = None,
        *,
        reason: ReasonCode | None = None,
    ) -> UUID:
        """A coordinator closes a case of a state they cover, with what became of the child.

        The request's id; `NotFound`, `Forbidden`, `Conflict` or `Invalid` when refused.
        """
        return await self.closings.close(principal, case_id, outcome, reason, note)
