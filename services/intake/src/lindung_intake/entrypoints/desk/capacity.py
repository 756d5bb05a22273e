"""The provider's "Places free" page: how many places it has free, one small form per service.

Each form sets the figure through the same use case as the API
(`PUT /v1/providers/{id}/capacity/{service}`), as the signed-in person's provider; the
figure records the person's user id, never their name. Intake does not hold the
directory: the services the provider was referred for (or set a figure of) come first, and
every other service is offered folded away below them.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from lindung_contracts import CapacityUnit, ServiceType
from starlette.responses import Response

from lindung_intake.domain import PrincipalKind
from lindung_intake.domain.capacity import MOST_PLACES
from lindung_intake.use_cases import ClientError
from lindung_intake.use_cases.desk import DeskSession

from .session import desk_of, posted, signed_in

__all__ = ["routes"]

routes = APIRouter()

# What a shelter counts, and what every other service does, until the provider says.
_DEFAULT_UNITS = {
    service: CapacityUnit.BEDS if service is ServiceType.SAFE_SHELTER else CapacityUnit.PLACES
    for service in ServiceType
}


async def _page(request: Request, session: DeskSession, code: int, **context: Any) -> Response:
    desk = desk_of(request)
    figures, offered = await desk.intake.capacities.latest(session.principal)
    # The services it offers first (as far as intake knows); the others folded away.
    known = tuple(s for s in ServiceType if s in offered)
    others = tuple(s for s in ServiceType if s not in offered)
    return desk.pages.html(
        "capacity.html", code, session.language, session=session, here=f"{desk.base}/capacity",
        services=known or others, others=others if known else (), units=tuple(CapacityUnit),
        figures=figures,
        default_units=_DEFAULT_UNITS, most=MOST_PLACES, **context,
    )  # fmt: skip


@routes.get("/capacity")
async def capacity(
    request: Request, done: Annotated[str | None, Query(max_length=32)] = None
) -> Response:
    """The provider's figures of free places, one form per service."""
    session = await signed_in(request)
    desk = desk_of(request)
    if session is None:
        return desk.pages.go(f"{desk.base}/sign-in?next={quote(request.url.path, safe='/')}")
    if session.principal.kind is not PrincipalKind.PROVIDER:
        return desk.pages.go(f"{desk.base}/")
    shown = done if done in {s.value for s in ServiceType} else None
    return await _page(request, session, 200, done=shown, refused=None)


def _whole(text: str | None) -> int | None:
    """A count as typed in a form: digits only (no sign, no decimals), at most MOST_PLACES."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MOST_PLACES)):
        return None
    number = int(text)
    return number if number <= MOST_PLACES else None


@routes.post("/capacity/{service}")
async def set_capacity(request: Request, service: ServiceType) -> Response:
    """Set the figure of one service; a figure that cannot be is shown again with why."""
    session, form = await posted(request)
    desk = desk_of(request)
    if session.principal.kind is not PrincipalKind.PROVIDER:
        return desk.pages.go(f"{desk.base}/")
    unit = form.get("unit")
    available = _whole(form.get("available"))
    maximum = _whole(form.get("maximum"))
    wrong = None
    if unit not in {u.value for u in CapacityUnit}:
        wrong = "unit"
    elif available is None:
        wrong = "available"
    elif maximum is None and (form.get("maximum") or "").strip():
        wrong = "maximum"
    if wrong is None and unit is not None and available is not None:
        try:
            await desk.intake.capacities.report(
                session.principal, session.principal.id, service,
                unit=CapacityUnit(unit), available=available, maximum=maximum,
            )  # fmt: skip
        except ClientError as error:
            wrong = error.errors[0].field if error.errors else "available"
        else:
            return desk.pages.go(f"{desk.base}/capacity?done={service.value}")
    # Shown again as typed (digits only, or nothing), for the person to correct.
    typed = {k: v for k in ("available", "maximum") if (v := (form.get(k) or "")).isdigit()}
    refused = {"service": service.value, "field": wrong, **typed}
    return await _page(request, session, 422, done=None, refused=refused)
