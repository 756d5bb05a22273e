"""A coordinator records a case's legal milestone at the desk, as the API records it."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from datetime import date, datetime
from typing import Final
from uuid import UUID

from fastapi import APIRouter, Request
from lindung_contracts import MALAYSIA_TIME, MilestoneKind
from starlette.responses import Response

from lindung_intake.use_cases import ClientError

from .coordinating import refusal_page
from .session import desk_of, posted

__all__ = ["parse_local", "routes"]

routes = APIRouter()
_KINDS: Final = {kind.value: kind for kind in MilestoneKind}


def parse_local(value: str | None) -> datetime | None:
    """A `datetime-local` field's value as a time in Malaysia; None when it is no such value."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return None
    return moment.replace(tzinfo=MALAYSIA_TIME)


def _day(value: str | None) -> tuple[bool, date | None]:
    """Whether a date field is well formed (empty is), and its day."""
    if not value:
        return True, None
    try:
        return True, date.fromisoformat(value)
    except ValueError:
        return False, None


@routes.post("/cases/{case_id}/milestones")
async def record(request: Request, case_id: UUID) -> Response:
    """Record what happened to the child, and when; the legal clocks follow."""
    session, form = await posted(request)
    desk = desk_of(request)
    back = f"{desk.base}/cases/{case_id}"
    kind = _KINDS.get(form.get("kind") or "")
    at = parse_local(form.get("at"))
    good_day, court_date = _day(form.get("court_date"))
    if kind is None or at is None or not good_day:
        return refusal_page(request, session, None, back)
    try:
        await desk.intake.milestones.record(session.principal, case_id, kind, at, court_date)
    except ClientError as error:
        return refusal_page(request, session, error, back)
    return desk.pages.go(f"{back}?done=milestone")
