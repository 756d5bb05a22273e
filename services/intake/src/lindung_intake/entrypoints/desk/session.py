"""Who is at the desk: the session of the request's cookie, and a post's CSRF check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_common.signin import csrf_matches

from .forms import SESSION_COOKIE, FormRefused, read_form

if TYPE_CHECKING:
    from starlette.requests import Request

    from lindung_intake.use_cases.desk import DeskSession

    from .app import Desk

__all__ = ["desk_of", "posted", "signed_in"]


def desk_of(request: Request) -> Desk:
    """The desk this request came to."""
    desk: Desk = request.app.state.desk
    return desk


async def signed_in(request: Request) -> DeskSession | None:
    """The live session of the request's cookie, if any."""
    return await desk_of(request).sessions.find(request.cookies.get(SESSION_COOKIE))


async def posted(request: Request) -> tuple[DeskSession, dict[str, str]]:
    """A post's session and form, once its CSRF token is the session's own; else refused.

    Nothing is done for a post without a live session or with a token missing or wrong.
    """
    secret = request.cookies.get(SESSION_COOKIE)
    form = await read_form(request)
    session = await desk_of(request).sessions.find(secret)
    if session is None or secret is None or not csrf_matches(secret, form.get("csrf")):
        raise FormRefused
    return session, form
