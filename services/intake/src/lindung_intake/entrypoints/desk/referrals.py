"""A provider's pages: the inbox, a referral, and its answers (accept, decline, start, complete).

Each page reads and acts through intake's use cases as the person's principal, so the
referral page shows exactly what `Referrals.read` gives that provider (consent and
projection applied, the read audited under the person's name), and each answer is the
API's answer. Another provider's referral and an unknown id give the same page.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request
from lindung_contracts import Outcome, ReasonCode, ResponseKind
from starlette.responses import Response

from lindung_intake.domain import PrincipalKind
from lindung_intake.domain.desk import Standing
from lindung_intake.use_cases import ClientError, Conflict, NotFound
from lindung_intake.use_cases.desk import DeskSession

from . import coordinating
from .pages import flatten
from .session import desk_of, posted, signed_in
from .words import DECLINE_REASONS, OUTCOME_REASONS, WORDS

__all__ = ["routes"]

routes = APIRouter()


class Act(StrEnum):
    """What a provider does on a referral's page."""

    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    COMPLETE = "complete"


_RESPONSE_OF = {
    Act.ACCEPT: ResponseKind.ACCEPTED,
    Act.DECLINE: ResponseKind.DECLINED,
    Act.START: ResponseKind.STARTED,
    Act.COMPLETE: ResponseKind.COMPLETED,
}
_DONE = {
    Act.ACCEPT: "accepted",
    Act.DECLINE: "declined",
    Act.START: "started",
    Act.COMPLETE: "completed",
}
# What a provider may do from each status (the lifecycle refuses anything else anyway).
_ACTS_FROM = {
    "requested": (Act.ACCEPT, Act.DECLINE),
    "accepted": (Act.START, Act.COMPLETE),
    "in_progress": (Act.COMPLETE,),
}


def _code(given: str | None, allowed: tuple[ReasonCode, ...]) -> ReasonCode | None:
    """A reason code from a form's select, if it is one the form offers."""
    return ReasonCode(given) if given in {r.value for r in allowed} else None


def _sign_in_first(request: Request) -> Response:
    desk = desk_of(request)
    to = quote(request.url.path, safe="/")
    return desk.pages.go(f"{desk.base}/sign-in?next={to}")


def _coming(request: Request, session: DeskSession) -> Response:
    desk = desk_of(request)
    t = WORDS[session.language]
    return desk.pages.message(
        200, session.language, t("coming_title"), t("coming"), session=session,
        here=request.url.path,
    )  # fmt: skip


@routes.get("/")
async def inbox(
    request: Request, done: Annotated[str | None, Query(max_length=16)] = None
) -> Response:
    """The provider's referrals, grouped by where they stand, with the time left."""
    session = await signed_in(request)
    if session is None:
        return _sign_in_first(request)
    if session.principal.kind is PrincipalKind.COORDINATOR:
        return await coordinating.queue_page(request, session, done)
    if session.principal.kind is PrincipalKind.OPERATIONS:  # their desk is the read audit
        return desk_of(request).pages.go(f"{desk_of(request).base}/audit")
    if session.principal.kind is not PrincipalKind.PROVIDER:
        return _coming(request, session)
    desk = desk_of(request)
    items = await desk.sessions.inbox(session.principal)
    groups = [(s, [i for i in items if i.place.standing is s]) for s in Standing]
    return desk.pages.html(
        "inbox.html", 200, session.language, session=session, groups=groups,
        here=f"{desk.base}/",
    )  # fmt: skip


@routes.get("/referrals/{referral_id}")
async def referral(
    request: Request,
    referral_id: UUID,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """One referral as its provider may see it, and what can be done with it now."""
    session = await signed_in(request)
    if session is None:
        return _sign_in_first(request)
    if session.principal.kind is PrincipalKind.COORDINATOR:
        return await coordinating.referral_page(request, session, referral_id, done)
    if session.principal.kind is not PrincipalKind.PROVIDER:
        return _coming(request, session)
    desk = desk_of(request)
    t = WORDS[session.language]
    try:
        read = await desk.intake.referrals.read(session.principal, referral_id)
    except NotFound:
        # Taken back from this provider: it may know so, but read nothing of the case.
        item = await desk.sessions.standing_of(session.principal, referral_id)
        if item is None or not item.withdrawn:
            return desk.pages.message(
                404, session.language, t("not_found_title"), t("not_found"),
                session=session, here=request.url.path,
            )  # fmt: skip
        return desk.pages.html(
            "referral.html", 200, session.language, session=session,
            referral_id=referral_id, service=item.service, status="withdrawn", rows=[],
            here=request.url.path,
            acts=(), done=None, withdrawn=True,
        )  # fmt: skip
    return desk.pages.html(
        "referral.html", 200, session.language, session=session,
        referral_id=referral_id, service=read.service, status=read.status,
        here=request.url.path, rows=flatten(read.shared), acts=_ACTS_FROM.get(read.status, ()),
        done=done if done in _DONE.values() else None, withdrawn=False,
    )  # fmt: skip


@routes.post("/referrals/{referral_id}/{act}")
async def answer(request: Request, referral_id: UUID, act: Act) -> Response:
    """A provider's answer from the referral's page; a refusal is shown as a page."""
    session, form = await posted(request)
    desk = desk_of(request)
    language = session.language
    t = WORDS[language]
    reason = outcome = outcome_reason = None
    note = form.get("note") or None
    if act is Act.DECLINE:
        reason = _code(form.get("reason"), DECLINE_REASONS)
    if act is Act.COMPLETE:  # the loop closes: what was done for the child, and why not all
        outcome = Outcome(form["outcome"]) if form.get("outcome") in set(Outcome) else None
        outcome_reason = _code(form.get("outcome_reason"), OUTCOME_REASONS)
    try:
        await desk.intake.referrals.respond(
            session.principal, referral_id, _RESPONSE_OF[act], reason, note,
            outcome=outcome, outcome_reason=outcome_reason,
        )  # fmt: skip
    except NotFound:
        return desk.pages.message(
            404, language, t("not_found_title"), t("not_found"), session=session
        )
    except Conflict:
        return desk.pages.message(
            409, language, t("refused_title"), t("refused_conflict"),
            session=session, back=f"{desk.base}/referrals/{referral_id}",
        )  # fmt: skip
    except ClientError as refused:
        return desk.pages.message(
            refused.status, language, t("refused_title"), t("refused_invalid"),
            session=session, back=f"{desk.base}/referrals/{referral_id}",
        )  # fmt: skip
    return desk.pages.go(f"{desk.base}/referrals/{referral_id}?done={_DONE[act]}")
