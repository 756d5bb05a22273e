"""The API of a case's legal milestones: a coordinator records what happened, and when."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status
from lindung_contracts import MilestoneKind
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.use_cases import Intake

__all__ = ["MilestoneRecorded", "NewMilestone", "milestone_routes"]


class NewMilestone(BaseModel):
    """What happened to the child, as a code; when; the court's day, for a court date."""

    model_config = ConfigDict(extra="forbid")

    kind: MilestoneKind = Field(
        description="What happened: `taken_into_care` (temporary custody, Child Act 2001 "
        "s.18), `protector_notified`, `brought_before_protector` (s.18), "
        "`medical_examination_done` (s.20), `court_date_set` (with `court_date`) or "
        "`legal_aid_in_place`. Each kind is recorded once per case.",
        examples=["taken_into_care"],
    )
    at: AwareDatetime = Field(
        description="When it happened, with its UTC offset: earlier than now when recorded "
        "late, never in the future. The legal clocks run from this time.",
        examples=["2026-03-02T09:00:00+08:00"],
    )
    court_date: date | None = Field(
        default=None,
        description="The day of the hearing (Malaysia's time), with `court_date_set` and only "
        "with it.",
        examples=["2026-03-20"],
    )


class MilestoneRecorded(BaseModel):
    """The answer to a milestone: the sla-monitor starts and stops the clocks it chains."""

    milestone_id: UUID = Field(description="Id of the recorded milestone.")


def milestone_routes(
    intake_of: Callable[..., Awaitable[Intake]], caller: Callable[..., Awaitable[Principal]]
) -> APIRouter:
    """The milestone route, given the API's dependencies for intake and the authenticated caller."""
    routes = APIRouter(prefix="/v1", tags=["coordinators"])

    async def coordinator(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if principal.kind != PrincipalKind.COORDINATOR:
            raise HTTPException(403, "only a case coordinator key may record a milestone")
        return principal

    @routes.post("/cases/{case_id}/milestones", status_code=status.HTTP_202_ACCEPTED)
    async def record_milestone(
        case_id: UUID,
        body: NewMilestone,
        recorder: Annotated[Principal, Depends(coordinator)],
        intake: Annotated[Intake, Depends(intake_of)],
    ) -> MilestoneRecorded:
        """Record a legal milestone of a case of a state this coordinator covers.

        Taken into care starts the Child Act's clocks (a Protector notified within 1 h, the
        child before a Protector within 12 h, a medical examination within 48 h); the
        milestones that stop them stop them, even recorded late; a court date starts the
        clock of legal aid before it. When a clock runs out, the case coordinator is
        alerted. A kind already recorded, or a closed case, is 409; a case of a state the
        coordinator does not cover is not found, exactly like an unknown id.
        """
        milestone_id = await intake.milestones.record(
            recorder, case_id, body.kind, body.at, body.court_date
        )
        return MilestoneRecorded(milestone_id=milestone_id)

    return routes
