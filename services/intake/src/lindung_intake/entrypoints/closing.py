"""The API of closing a case: a coordinator says what became of the child."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status
from lindung_contracts import CaseOutcome, ReasonCode
from pydantic import BaseModel, ConfigDict, Field

from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.entrypoints.reasons import NoteWords
from lindung_intake.use_cases import Intake

__all__ = ["CaseClosing", "ClosingRecorded", "closing_routes"]


class CaseClosing(BaseModel):
    """What became of the child, as a code; why, as a code, if wanted; any words."""

    model_config = ConfigDict(extra="forbid")

    outcome: CaseOutcome = Field(
        description="What became of the child: `services_in_place`, `transferred` (to another "
        "authority's care), `reunified` (with family, after a best-interest decision), "
        "`child_missing`, `merged` (into another case of the child), `opened_in_error` or "
        "`other`. Recorded and passed on.",
        examples=["services_in_place"],
    )
    reason: ReasonCode | None = Field(
        default=None,
        description="Why, as a code, if the coordinator gives one; recorded and passed on.",
        examples=["child_missing"],
    )
    note: NoteWords | None = Field(
        default=None,
        description="Words the coordinator adds, if any: they may name the child, so intake "
        "seals them with the case and only the codes travel on. At most 1,000 characters as "
        "sent, not blank, no control characters (line breaks included); white space at "
        "either end is trimmed.",
    )


class ClosingRecorded(BaseModel):
    """The answer to a closing: the router cancels the referrals awaiting acceptance next."""

    request_id: UUID = Field(description="Id of the recorded request.")


def closing_routes(
    intake_of: Callable[..., Awaitable[Intake]], caller: Callable[..., Awaitable[Principal]]
) -> APIRouter:
    """The closing route, given the API's dependencies for intake and the authenticated caller."""
    routes = APIRouter(prefix="/v1", tags=["coordinators"])

    async def coordinator(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if principal.kind != PrincipalKind.COORDINATOR:
            raise HTTPException(403, "only a case coordinator key may close a case")
        return principal

    @routes.post("/cases/{case_id}/close", status_code=status.HTTP_202_ACCEPTED)
    async def close_case(
        case_id: UUID,
        body: CaseClosing,
        closer: Annotated[Principal, Depends(coordinator)],
        intake: Annotated[Intake, Depends(intake_of)],
    ) -> ClosingRecorded:
        """Close a case of a state this coordinator covers, with what became of the child.

        The router cancels every referral still awaiting acceptance (their providers are
        told, and their answers get 409 from then on); referrals accepted or under way stay
        with their providers to complete. One request per case: a case closed or being
        closed already is 409, as is one whose referrals are still being made. A case of a
        state the coordinator does not cover is not found, exactly like an unknown id.
        """
        request_id = await intake.close_case(
            closer, case_id, body.outcome, note=body.note, reason=body.reason
        )
        return ClosingRecorded(request_id=request_id)

    return routes
