"""Signing in and out at the identity provider, and choosing the desk's language."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Query, Request
from lindung_common.signin import LANGUAGES
from starlette.responses import Response

from lindung_intake.use_cases.desk import SIGN_IN_WINDOW, SignInRefused

from .forms import PENDING_COOKIE, SESSION_COOKIE, read_form, safe_return
from .session import desk_of, posted, signed_in
from .words import WORDS

__all__ = ["routes"]

routes = APIRouter()
_Text = Annotated[str | None, Query(max_length=2048)]


@routes.get("/sign-in")
async def sign_in(request: Request, next: _Text = None) -> Response:  # noqa: A002
    """Begin a sign-in: the browser goes to the identity provider and comes back here."""
    desk = desk_of(request)
    language = desk.language(request)
    begun = await desk.sessions.begin(return_to=safe_return(next, desk.base), language=language)
    response = desk.pages.go(begun.url)
    desk.cookies.set(
        response, PENDING_COOKIE, begun.pending, max_age=int(SIGN_IN_WINDOW.total_seconds())
    )
    return response


@routes.get("/callback")
async def callback(
    request: Request, state: _Text = None, code: _Text = None, error: _Text = None
) -> Response:
    """The identity provider sends the browser back: the session begins, or a page says why not."""
    desk = desk_of(request)
    language = desk.language(request)
    t = WORDS[language]
    pending = request.cookies.get(PENDING_COOKIE)
    why = "failed"
    if pending and state and code and not error:
        try:
            secret, return_to = await desk.sessions.finish(
                pending=pending, state=state, code=code, language=language
            )
        except SignInRefused as refused:
            why = refused.why
        else:
            response = desk.pages.go(return_to)
            desk.cookies.forget(response, PENDING_COOKIE)
            desk.cookies.session(response, secret)
            return response
    elif not pending:
        why = "expired"
    response = desk.pages.message(
        403 if why == "no_role" else 400,
        language,
        t("sign_in"),
        t(f"sign_in_{why}"),
        sign_in_link=f"{desk.base}/sign-in",
    )
    desk.cookies.forget(response, PENDING_COOKIE)
    return response


@routes.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """End the session here and at the identity provider, which sends the browser back."""
    desk = desk_of(request)
    await posted(request)  # a sign-out, too, only from the desk's own form
    id_token = await desk.sessions.end(request.cookies.get(SESSION_COOKIE))
    back = f"{desk.public_url}/signed-out"
    there = (
        await desk.sessions.idp.end_session_url(id_token_hint=id_token, post_logout=back)
        if id_token
        else None
    )
    response = desk.pages.go(there or back)
    desk.cookies.forget(response, SESSION_COOKIE)
    return response


@routes.get("/signed-out")
async def signed_out(request: Request) -> Response:
    """Where the identity provider sends the browser after signing out."""
    desk = desk_of(request)
    language = desk.language(request)
    t = WORDS[language]
    return desk.pages.message(
        200, language, t("sign_out"), t("signed_out"), sign_in_link=f"{desk.base}/sign-in"
    )


@routes.post("/language")
async def choose_language(request: Request) -> Response:
    """Keep a person's language: in the session when signed in (with its CSRF token)."""
    desk = desk_of(request)
    if request.cookies.get(SESSION_COOKIE) and await signed_in(request) is not None:
        _, form = await posted(request)
    else:
        form = await read_form(request)  # before signing in: only this browser's cookie
    language = form.get("language", "")
    to = safe_return(form.get("next"), desk.base)
    response = desk.pages.go(to)
    if language in LANGUAGES:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            await desk.sessions.choose_language(secret, language)
        desk.cookies.language(response, language)
    return response
