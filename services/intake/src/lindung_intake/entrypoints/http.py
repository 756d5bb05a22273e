"""The HTTP API: agencies report identifications, providers answer referrals."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from lindung_common import BodyGuard, is_json
from lindung_contracts import (
    ClockAction,
    FieldError,
    Identification,
    ResponseKind,
    capped,
    field_errors,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.entrypoints.alerts import alert_routes
from lindung_intake.entrypoints.capacity import capacity_routes
from lindung_intake.entrypoints.closing import closing_routes
from lindung_intake.entrypoints.desk import DeskDoor
from lindung_intake.entrypoints.door import RateLimit, RateLimited
from lindung_intake.entrypoints.json_body import StrictJson
from lindung_intake.entrypoints.milestones import milestone_routes
from lindung_intake.entrypoints.openapi import install as install_openapi
from lindung_intake.entrypoints.problems import Problem, Unexpected, problem
from lindung_intake.entrypoints.reasons import (
    Answer,
    ClockReason,
    NotesView,
    NoteView,
    Reassignment,
)
from lindung_intake.entrypoints.views import (
    AnswerRecorded,
    AuditedRead,
    AuditPage,
    CaseAccepted,
    CaseView,
    ClockChangeRecorded,
    ReassignmentRecorded,
    ReferralView,
)
from lindung_intake.use_cases import ClientError, Intake

__all__ = ["create_api"]

log = structlog.get_logger(__name__)


class Action(StrEnum):
    """What a provider does with a referral addressed to it."""

    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"


_RESPONSE_OF = {
    Action.ACCEPT: ResponseKind.ACCEPTED,
    Action.DECLINE: ResponseKind.DECLINED,
    Action.START: ResponseKind.STARTED,
    Action.COMPLETE: ResponseKind.COMPLETED,
    Action.FAIL: ResponseKind.FAILED,
}
_bearer = HTTPBearer(auto_error=False)
_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}


async def _intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


async def _caller(
    intake: Annotated[Intake, Depends(_intake)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "a bearer API key is required", challenge)
    holder = intake.keys.find(credentials.credentials)
    if holder is None:
        raise HTTPException(401, "unknown API key", challenge)
    # Already counted against its rate, with every other request (`RateLimited`).
    return Principal(
        PrincipalKind(holder.kind), holder.id, key_id=holder.key_id, states=holder.states
    )


async def _agency(principal: Annotated[Principal, Depends(_caller)]) -> Principal:
    if principal.kind != PrincipalKind.AGENCY:
        raise HTTPException(403, "only an agency key may report identifications")
    return principal


async def _provider(principal: Annotated[Principal, Depends(_caller)]) -> Principal:
    if principal.kind != PrincipalKind.PROVIDER:
        raise HTTPException(403, "only a provider key may answer or read referrals")
    return principal


async def _case_reader(principal: Annotated[Principal, Depends(_caller)]) -> Principal:
    if principal.kind not in {PrincipalKind.AGENCY, PrincipalKind.COORDINATOR}:
        raise HTTPException(403, "only an agency or a case coordinator key may read cases")
    return principal


async def _coordinator(principal: Annotated[Principal, Depends(_caller)]) -> Principal:
    if principal.kind != PrincipalKind.COORDINATOR:
        raise HTTPException(403, "only a case coordinator key may act on a referral's course")
    return principal


async def _operations(principal: Annotated[Principal, Depends(_caller)]) -> Principal:
    if principal.kind != PrincipalKind.OPERATIONS:
        raise HTTPException(403, "only an operations key may read the audit")
    return principal


routes = APIRouter(prefix="/v1", responses=_PROBLEMS)


@routes.post(
    "/identifications",
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"model": CaseAccepted, "description": "Already reported: same case."}},
    tags=["agencies"],
)
async def identify(
    identification: Identification,
    response: Response,
    agency: Annotated[Principal, Depends(_agency)],
    intake: Annotated[Intake, Depends(_intake)],
) -> CaseAccepted:
    """Report an identified child; 202 opens a case, 200 returns the case already open."""
    opened = await intake.cases.open_case(agency.id, identification, channel="http")
    if not opened.created:
        response.status_code = status.HTTP_200_OK
    return CaseAccepted(case_id=opened.case_id, created=opened.created, linked=opened.linked)


@routes.get("/referrals/{referral_id}", tags=["providers"])
async def read_referral(
    referral_id: UUID,
    provider: Annotated[Principal, Depends(_provider)],
    intake: Annotated[Intake, Depends(_intake)],
) -> ReferralView:
    """The referral addressed to this provider: its state and what its service needs."""
    return ReferralView(**vars(await intake.referrals.read(provider, referral_id)))


@routes.get("/referrals/{referral_id}/notes", tags=["providers", "coordinators"])
async def read_notes(
    referral_id: UUID,
    reader: Annotated[Principal, Depends(_caller)],
    intake: Annotated[Intake, Depends(_intake)],
) -> NotesView:
    """The words added to a referral's answers and clock changes: audited, never on Kafka.

    The provider the referral is (or was) addressed to reads the notes it wrote; a case
    coordinator reads them all; anyone else gets the 404 of an id that does not exist.
    """
    read = await intake.notes.read(reader, referral_id)
    notes = [NoteView.model_validate(vars(note)) for note in read.notes]
    return NotesView(referral_id=read.referral_id, notes=notes)


@routes.get("/cases/{case_id}", tags=["agencies"])
async def read_case(
    case_id: UUID,
    reader: Annotated[Principal, Depends(_case_reader)],
    intake: Annotated[Intake, Depends(_intake)],
) -> CaseView:
    """A case this agency reported (or, for a coordinator, any case) and its referrals."""
    return CaseView.model_validate(vars(await intake.cases.read_case(reader, case_id)))


@routes.get("/audit", tags=["operations"])
async def read_audit(
    _: Annotated[Principal, Depends(_operations)],
    intake: Annotated[Intake, Depends(_intake)],
    resource: Annotated[UUID | None, Query(description="A referral or case id.")] = None,
    reader: Annotated[str | None, Query(max_length=64, description="A reader's id.")] = None,
    since: Annotated[datetime | None, Query(description="Reads at or after this.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Who read which referral or case, when, and which fields: for operations."""
    reads = await intake.cases.read_audit(
        resource=resource, reader=reader, since=since, limit=limit
    )
    return AuditPage(reads=[AuditedRead.model_validate(r) for r in reads])


async def _change_clock(
    referral_id: UUID,
    action: ClockAction,
    body: ClockReason,
    coordinator: Principal,
    intake: Intake,
) -> ClockChangeRecorded:
    request_id = await intake.referrals.change_clock(
        coordinator, referral_id, action, body.reason, body.note
    )
    return ClockChangeRecorded(request_id=request_id)


@routes.post(
    "/referrals/{referral_id}/pause", status_code=status.HTTP_202_ACCEPTED, tags=["coordinators"]
)
async def pause(
    referral_id: UUID,
    body: ClockReason,
    coordinator: Annotated[Principal, Depends(_coordinator)],
    intake: Annotated[Intake, Depends(_intake)],
) -> ClockChangeRecorded:
    """Stop a referral's clock: no warning or escalation fires until it is resumed."""
    return await _change_clock(referral_id, ClockAction.PAUSE, body, coordinator, intake)


@routes.post(
    "/referrals/{referral_id}/resume", status_code=status.HTTP_202_ACCEPTED, tags=["coordinators"]
)
async def resume(
    referral_id: UUID,
    body: ClockReason,
    coordinator: Annotated[Principal, Depends(_coordinator)],
    intake: Annotated[Intake, Depends(_intake)],
) -> ClockChangeRecorded:
    """Restart a paused clock; the deadline and every step move later by the pause."""
    return await _change_clock(referral_id, ClockAction.RESUME, body, coordinator, intake)


@routes.post(
    "/referrals/{referral_id}/reassign",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["coordinators"],
)
async def reassign(
    referral_id: UUID,
    body: Reassignment,
    coordinator: Annotated[Principal, Depends(_coordinator)],
    intake: Annotated[Intake, Depends(_intake)],
) -> ReassignmentRecorded:
    """Send a referral awaiting acceptance to another provider, or to the next suitable one.

    The router withdraws it from its provider (whose answers then get 409, and who is
    told) and asks the other with a fresh deadline. One request per referral; a referral
    accepted, completed or withdrawn already is 409.
    """
    request_id = await intake.reassign(
        coordinator, referral_id, body.provider_id, body.reason, body.note
    )
    return ReassignmentRecorded(request_id=request_id)


@routes.post(
    "/referrals/{referral_id}/{action}",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["providers"],
)
async def answer(
    referral_id: UUID,
    action: Action,
    provider: Annotated[Principal, Depends(_provider)],
    intake: Annotated[Intake, Depends(_intake)],
    body: Answer | None = None,
) -> AnswerRecorded:
    """A provider answers a referral addressed to it; repeating an answer is harmless.

    A decline or a failure says why as a reason code, and may add a note (sealed here); a
    completion says what was done for the child (`outcome`, with why when short of it).
    """
    body = body or Answer()
    response_id = await intake.referrals.respond(
        provider,
        referral_id,
        _RESPONSE_OF[action],
        body.reason,
        body.note,
        outcome=body.outcome,
        outcome_reason=body.outcome_reason,
    )
    return AnswerRecorded(response_id=response_id)


def create_api(
    intake: Intake,
    *,
    max_body_bytes: int = 1_048_576,
    rate_limit_per_minute: int = 1200,
    desk: FastAPI | None = None,
) -> FastAPI:
    """The FastAPI app; OpenAPI is served at /openapi.json and /docs.

    In front of the routes, outermost first: every request counted against its caller's
    rate (`RateLimited`), the desk's pages handed to the desk if there is one (`DeskDoor`),
    the body's size and media type (`BodyGuard`), unexpected failures in the one shape
    (`Unexpected`), a strict JSON reading with limits (`StrictJson`).
    """
    api = FastAPI(title="Lindung intake", version="1", redoc_url=None)
    api.state.intake = intake
    api.state.rate_limit = RateLimit(rate_limit_per_minute)
    api.include_router(routes)
    api.include_router(alert_routes(_intake, _caller), responses=_PROBLEMS)
    api.include_router(closing_routes(_intake, _caller), responses=_PROBLEMS)
    api.include_router(capacity_routes(_intake, _caller), responses=_PROBLEMS)
    api.include_router(milestone_routes(_intake, _caller), responses=_PROBLEMS)
    install_openapi(api)  # servers, security, info: what FastAPI cannot derive

    @api.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            # Not JSON at all: nothing to point at but the body, and never its bytes.
            return problem(400, [FieldError(field="body", reason="not valid JSON")])
        skip = ("body", "path", "query", "header")
        return problem(422, field_errors(errors, skip=skip, whole="body"))

    @api.exception_handler(ClientError)
    async def _refused(_: Request, exc: ClientError) -> JSONResponse:
        response = problem(exc.status, capped(exc.errors))
        response.headers.update(exc.headers)
        return response

    api.add_middleware(StrictJson, problem=problem)
    api.add_middleware(Unexpected)
    api.add_middleware(
        BodyGuard,
        max_bytes=max_body_bytes,
        accepts=is_json,
        expected="JSON (Content-Type: application/json)",
    )
    if desk is not None:
        api.add_middleware(DeskDoor, desk=desk)
    api.add_middleware(
        RateLimited,
        limit=api.state.rate_limit,
        find=intake.keys.find,
        problem=problem,
    )

    # Starlette's, so that its own 404 and 405 come in the one shape too. A 400 comes only
    # from reading the body (the strict reading refuses first).
    field_of_status = {
        400: "body",
        401: "authorization",
        403: "authorization",
        429: "authorization",
    }

    @api.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = exc.status_code
        field = field_of_status.get(code, "path")
        response = problem(code, [FieldError(field=field, reason=str(exc.detail))])
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    return api
