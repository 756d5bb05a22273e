"""A coordinator's (or supervisor's) pages: the alert queue, a case, a referral, and acts.

Each page reads and acts through intake's use cases as the person's principal, so a
case outside their states is not found like an unknown id (the look audited), the case
is read as the API reads it for a coordinator (audited under the person's name), and
each act is the API's: acknowledge, send on, pause or resume, close.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
import re
from typing import Final
from uuid import UUID

from fastapi import APIRouter, Request
from lindung_contracts import CaseOutcome, ClockAction, MilestoneKind, ReasonCode
from starlette.responses import Response

from lindung_intake.domain import PrincipalKind
from lindung_intake.use_cases import ClientError, Conflict, NotFound
from lindung_intake.use_cases.desk import DeskSession

from .forms import safe_return
from .session import desk_of, posted, signed_in
from .words import WORDS

__all__ = ["case_page", "queue_page", "referral_page", "refusal_page", "routes"]

routes = APIRouter()

PAUSE_REASONS: Final = (
    ReasonCode.CHILD_IN_HOSPITAL, ReasonCode.CHILD_MISSING, ReasonCode.CANNOT_REACH_CHILD,
    ReasonCode.CHILD_DECLINED, ReasonCode.SAFETY_CONCERN, ReasonCode.OTHER,
)  # fmt: skip
RESUME_REASONS: Final = (
    ReasonCode.CHILD_AVAILABLE, ReasonCode.COORDINATOR_ARRANGED, ReasonCode.OTHER,
)  # fmt: skip
SEND_REASONS: Final = (
    ReasonCode.NO_ANSWER, ReasonCode.COORDINATOR_ARRANGED, ReasonCode.AT_CAPACITY,
    ReasonCode.OUTSIDE_AREA, ReasonCode.LANGUAGE, ReasonCode.SAFETY_CONCERN, ReasonCode.OTHER,
)  # fmt: skip
CLOSE_REASONS: Final = (
    ReasonCode.CHILD_MISSING, ReasonCode.CHILD_DECLINED, ReasonCode.SAFETY_CONCERN,
    ReasonCode.OTHER,
)  # fmt: skip
QUEUE_SHOWN: Final = 200  # the newest open alerts shown, and as many taken ones
_DONE: Final = ("acknowledged", "sent", "paused", "resumed", "closing", "noted", "milestone")
# A provider id as the router's directory spells them (checked again by the use case).
_PROVIDER: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def _code(given: str | None, allowed: tuple[ReasonCode, ...]) -> ReasonCode | None:
    return ReasonCode(given) if given in {r.value for r in allowed} else None


def _message(
    request: Request, session: DeskSession, status: int, key: str, back: str = ""
) -> Response:
    desk = desk_of(request)
    t = WORDS[session.language]
    title = "not_found_title" if status == 404 else "refused_title"  # noqa: PLR2004
    return desk.pages.message(
        status, session.language, t(title), t(key), session=session, back=back or None,
        here=request.url.path,
    )  # fmt: skip


def _refusal(request: Request, session: DeskSession, error: ClientError, back: str) -> Response:
    if isinstance(error, NotFound):
        return _message(request, session, 404, "not_found_case")
    if isinstance(error, Conflict):
        return _message(request, session, 409, "refused_case_conflict", back)
    return _message(request, session, error.status, "refused_invalid", back)


def refusal_page(
    request: Request, session: DeskSession, error: ClientError | None, back: str
) -> Response:
    """The page saying an act was refused: `error`'s, or (None) a form filled in wrong."""
    if error is None:
        return _message(request, session, 422, "refused_invalid", back)
    return _refusal(request, session, error, back)


async def queue_page(request: Request, session: DeskSession, done: str | None) -> Response:
    """The alerts of the person's states: those nobody took first, then those taken."""
    desk = desk_of(request)
    alerts = await desk.intake.alerts.list_for(session.principal, limit=QUEUE_SHOWN)
    opened, taken = await desk.intake.alerts.count_for(session.principal)
    groups = [
        ("open", [a for a in alerts if a.acknowledged_by is None], opened),
        ("held", [a for a in alerts if a.acknowledged_by is not None], taken),
    ]
    return desk.pages.html(
        "queue.html", 200, session.language, session=session, groups=groups,
        states=sorted(session.principal.states or ()), here=f"{desk.base}/",
        done=done if done in _DONE else None,
    )  # fmt: skip


async def case_page(
    request: Request, session: DeskSession, case_id: UUID, *, focus: UUID | None = None,
    done: str | None = None,
) -> Response:  # fmt: skip
    """A case of the person's states (or one referral of it), with what can be done."""
    desk = desk_of(request)
    try:
        page = await desk.intake.coordination.case_page(session.principal, case_id)
    except ClientError as error:
        return _refusal(request, session, error, "")
    line = next((r for r in page.referrals if r.referral_id == focus), None)
    providers = await desk.intake.coordination.providers_of(line.service) if line else []
    milestones = [] if focus else await desk.intake.milestones.of_case(case_id)
    clocks = [] if focus else await desk.intake.milestones.clocks_of(case_id)
    return desk.pages.html(
        "case.html", 200, session.language, session=session, page=page, focus=line,
        providers=providers, here=request.url.path, done=done if done in _DONE else None,
        pause_reasons=PAUSE_REASONS, resume_reasons=RESUME_REASONS, send_reasons=SEND_REASONS,
        close_reasons=CLOSE_REASONS, case_outcomes=tuple(CaseOutcome),
        milestones=milestones, milestone_kinds=tuple(MilestoneKind), clocks=clocks,
    )  # fmt: skip


async def referral_page(
    request: Request, session: DeskSession, referral_id: UUID, done: str | None
) -> Response:
    """One referral of a case in the person's states: its case page, focused on it."""
    desk = desk_of(request)
    try:
        case_id = await desk.intake.coordination.case_of_referral(session.principal, referral_id)
    except ClientError as error:
        return _refusal(request, session, error, "")
    return await case_page(request, session, case_id, focus=referral_id, done=done)


@routes.get("/cases/{case_id}")
async def case(request: Request, case_id: UUID, done: str | None = None) -> Response:
    """The case page (coordinators and supervisors); anyone else is sent to their own."""
    session = await signed_in(request)
    desk = desk_of(request)
    if session is None:
        return desk.pages.go(f"{desk.base}/sign-in?next={desk.base}/cases/{case_id}")
    if session.principal.kind is not PrincipalKind.COORDINATOR:
        return _message(request, session, 404, "not_found_case")
    return await case_page(request, session, case_id, done=done)


@routes.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(request: Request, alert_id: UUID) -> Response:
    """Take an alert: the next level waits the acknowledgement window."""
    session, form = await posted(request)
    desk = desk_of(request)
    back = safe_return(form.get("next"), desk.base)
    try:
        await desk.intake.acknowledge(session.principal, alert_id)
    except ClientError as error:
        return _refusal(request, session, error, back)
    return desk.pages.go(f"{back.split('?', 1)[0]}?done=acknowledged")


@routes.post("/referrals/{referral_id}/send")
async def send(request: Request, referral_id: UUID) -> Response:
    """Send a referral to a chosen provider, or to the next suitable one."""
    session, form = await posted(request)
    desk = desk_of(request)
    back = f"{desk.base}/referrals/{referral_id}"
    typed = (form.get("other_provider") or "").strip()
    chosen = typed or form.get("provider") or None
    reason = _code(form.get("reason"), SEND_REASONS)
    if reason is None or (chosen is not None and not _PROVIDER.fullmatch(chosen)):
        return _message(request, session, 422, "refused_invalid", back)
    try:
        await desk.intake.reassign(
            session.principal, referral_id, chosen, reason, form.get("note") or None
        )
    except ClientError as error:
        return _refusal(request, session, error, back)
    return desk.pages.go(f"{back}?done=sent")


@routes.post("/referrals/{referral_id}/clock")
async def clock(request: Request, referral_id: UUID) -> Response:
    """Pause or resume a referral's clock, with a reason code."""
    session, form = await posted(request)
    desk = desk_of(request)
    back = f"{desk.base}/referrals/{referral_id}"
    action = form.get("action")
    allowed = PAUSE_REASONS if action == "pause" else RESUME_REASONS
    reason = _code(form.get("reason"), allowed)
    if action not in {"pause", "resume"} or reason is None:
        return _message(request, session, 422, "refused_invalid", back)
    try:
        await desk.intake.referrals.change_clock(
            session.principal, referral_id, ClockAction(action), reason,
            form.get("note") or None,
        )  # fmt: skip
    except ClientError as error:
        return _refusal(request, session, error, back)
    return desk.pages.go(f"{back}?done={'paused' if action == 'pause' else 'resumed'}")


@routes.post("/cases/{case_id}/close")
async def close(request: Request, case_id: UUID) -> Response:
    """Close a case with what became of the child."""
    session, form = await posted(request)
    desk = desk_of(request)
    back = f"{desk.base}/cases/{case_id}"
    outcome = form.get("outcome")
    given = form.get("reason") or None
    reason = _code(given, CLOSE_REASONS)
    if outcome not in set(CaseOutcome) or (given is not None and reason is None):
        return _message(request, session, 422, "refused_invalid", back)
    try:
        await desk.intake.close_case(
            session.principal, case_id, CaseOutcome(outcome), form.get("note") or None,
            reason=reason,
        )  # fmt: skip
    except ClientError as error:
        return _refusal(request, session, error, back)
    return desk.pages.go(f"{back}?done=closing")


@routes.post("/cases/{case_id}/note")
async def note(request: Request, case_id: UUID) -> Response:
    """Keep a sealed note on the case (its words never leave intake's database)."""
    session, form = await posted(request)
    desk = desk_of(request)
    back = f"{desk.base}/cases/{case_id}"
    try:
        await desk.intake.coordination.add_note(session.principal, case_id, form.get("note"))
    except ClientError as error:
        return _refusal(request, session, error, back)
    return desk.pages.go(f"{back}?done=noted")
