"""The API of live capacity: a provider's system says how many places it has free."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, status
from lindung_contracts import CapacityUnit, ServiceType
from pydantic import BaseModel, ConfigDict, Field

from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.domain.capacity import MOST_PLACES
from lindung_intake.use_cases import Intake

__all__ = ["CapacityRecorded", "CapacitySet", "capacity_routes"]


class CapacitySet(BaseModel):
    """How many places are free now, of how many, counted in what (HSDS 3.1 capacity)."""

    model_config = ConfigDict(extra="forbid")

    unit: CapacityUnit = Field(
        description="What is counted: `beds`, `places`, `appointments` or `sessions`.",
        examples=["beds"],
    )
    available: int = Field(
        ge=0,
        le=MOST_PLACES,
        description="How many are free now; 0 when full. Not more than `maximum`.",
        examples=[2],
    )
    maximum: int | None = Field(
        default=None,
        ge=0,
        le=MOST_PLACES,
        description="How many there are in all, if the provider says.",
        examples=[12],
    )


class CapacityRecorded(BaseModel):
    """The answer to a figure set: the router routes by it from the moment it reads it."""

    report_id: UUID = Field(description="Id of the recorded report.")


def capacity_routes(
    intake_of: Callable[..., Awaitable[Intake]], caller: Callable[..., Awaitable[Principal]]
) -> APIRouter:
    """The capacity route, given the API's dependencies for intake and the authenticated caller."""
    routes = APIRouter(prefix="/v1", tags=["providers"])

    async def provider(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if principal.kind != PrincipalKind.PROVIDER:
            raise HTTPException(403, "only a provider key may set a provider's capacity")
        return principal

    @routes.put("/providers/{provider_id}/capacity/{service}", status_code=status.HTTP_202_ACCEPTED)
    async def set_capacity(
        provider_id: Annotated[str, Path(max_length=64, description="The provider's id.")],
        service: ServiceType,
        body: CapacitySet,
        reporter: Annotated[Principal, Depends(provider)],
        intake: Annotated[Intake, Depends(intake_of)],
    ) -> CapacityRecorded:
        """Set how many places this provider has free for one of its services.

        Only the provider's own key may set its figures (another provider's is 403). The
        router skips a provider whose figure says none free, prefers one with places free,
        takes a place at each acceptance, and counts a figure older than its policy's
        `capacity.stale_after` (12 h by default) as unknown: report again when it changes,
        and at least that often. Nothing about any child is sent or kept.
        """
        report_id = await intake.capacities.report(
            reporter,
            provider_id,
            service,
            unit=body.unit,
            available=body.available,
            maximum=body.maximum,
        )
        return CapacityRecorded(report_id=report_id)

    return routes
