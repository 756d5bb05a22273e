"""The non-detention guardrail: a detained child is escalated at once, not at a deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_contracts import DetentionEscalated, RecipientRole, ReferralMade

from .rules import DETAINED

if TYPE_CHECKING:
    from datetime import datetime

    from lindung_contracts import CaseOpened

    from .routing import Routed

__all__ = ["detention_alert"]


def detention_alert(
    case: CaseOpened, routed: list[Routed], *, at: datetime
) -> DetentionEscalated | None:
    """The coordinator's immediate alert for a child held in detention; None otherwise."""
    if case.situation.location not in DETAINED:
        return None
    return DetentionEscalated(
        case_id=case.case_id,
        agency_id=case.agency_id,
        location=case.situation.location,
        state=case.situation.state,
        identified_at=case.identified_at,
        referrals=tuple(
            ReferralMade(
                referral_id=r.requested.referral_id,
                service=r.requested.service,
                provider_id=r.requested.provider_id,
                due_at=r.requested.due_at,
            )
            for r in routed
            if r.requested is not None
        ),
        unmet=tuple(r.need.service for r in routed if r.requested is None),
        notify=RecipientRole.CASE_COORDINATOR,
        at=at,
    )
