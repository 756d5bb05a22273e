"""The API of coordinators' alerts: their queue, and acknowledging one (taking ownership)."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from lindung_contracts import AlertKind
from pydantic import BaseModel, Field

from lindung_intake.domain import Alert, Principal, PrincipalKind
from lindung_intake.use_cases import Intake

__all__ = ["AlertView", "AlertsPage", "alert_routes"]


class AlertView(BaseModel):
    """One alert to coordinators or supervisors, and who took ownership of it, if anyone."""

    alert_id: UUID = Field(description="The alert event's id; acknowledge it by this id.")
    kind: AlertKind = Field(description="Which kind of alert.")
    case_id: UUID
    referral_id: UUID | None = Field(description="The late referral, for `deadline_missed`.")
    escalation_level: int | None = Field(
        description="1 case coordinator, 2 supervisor, 3 secretariat (`deadline_missed`)."
    )
    notify: str = Field(description="Whom the alert is addressed to, by role.")
    state: str | None = Field(description="The state of the case's child.")
    raised_at: datetime
    detail: dict[str, Any] = Field(
        description="What was tried, as ids and codes: the provider and service of a late "
        "referral; the providers tried for a service nobody could take; the referrals made "
        "for a detained child; the referrals still unaccepted at the package deadline."
    )
    acknowledged_by: str | None = Field(description="Who took ownership; null while open.")
    acknowledged_at: datetime | None = Field(description="When; null while open.")
    on_call: str | None = Field(
        default=None,
        description="The id of the person on call it was delivered to (the rota of its role "
        "in its case's state; a stand-in's after a duty coordinator who could not be "
        "reached); null when it went to the role's own endpoint or is not delivered yet.",
    )


class AlertsPage(BaseModel):
    """The caller's alerts: the open ones first, newest first."""

    alerts: list[AlertView]


def _view(alert: Alert) -> AlertView:
    return AlertView(
        alert_id=alert.alert_id,
        kind=alert.kind,
        case_id=alert.case_id,
        referral_id=alert.referral_id,
        escalation_level=alert.escalation_level,
        notify=alert.notify,
        state=alert.state,
        raised_at=alert.raised_at,
        detail=alert.detail,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        on_call=alert.on_call,
    )


def alert_routes(
    intake_of: Callable[..., Awaitable[Intake]], caller: Callable[..., Awaitable[Principal]]
) -> APIRouter:
    """The alert routes, given the API's dependencies for intake and the authenticated caller."""
    routes = APIRouter(prefix="/v1", tags=["coordinators"])

    async def coordinator(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if principal.kind != PrincipalKind.COORDINATOR:
            raise HTTPException(403, "only a case coordinator key may see or acknowledge alerts")
        return principal

    @routes.get("/alerts")
    async def list_alerts(
        reader: Annotated[Principal, Depends(coordinator)],
        intake: Annotated[Intake, Depends(intake_of)],
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> AlertsPage:
        """The alerts of the states this coordinator covers: the open ones first, newest first.

        Then those somebody took; at most `limit` of each.
        """
        alerts = await intake.alerts.list_for(reader, limit=limit)
        return AlertsPage(alerts=[_view(a) for a in alerts])

    @routes.post(
        "/alerts/{alert_id}/acknowledge",
        status_code=status.HTTP_202_ACCEPTED,
        responses={200: {"model": AlertView, "description": "Acknowledged before: its owner."}},
    )
    async def acknowledge(
        alert_id: UUID,
        response: Response,
        reader: Annotated[Principal, Depends(coordinator)],
        intake: Annotated[Intake, Depends(intake_of)],
    ) -> AlertView:
        """Take ownership of an alert; acknowledged is not accepted.

        For a late referral, the next level of its ladder waits the policy's acknowledgement
        window, then fires anyway if the referral is still not accepted. Acknowledging it
        again changes nothing (200, with who owns it since when). An alert of a state this
        coordinator does not cover is not found, exactly like an unknown id.
        """
        done = await intake.acknowledge(reader, alert_id)
        if not done.created:
            response.status_code = status.HTTP_200_OK
        return _view(done.alert)

    return routes
