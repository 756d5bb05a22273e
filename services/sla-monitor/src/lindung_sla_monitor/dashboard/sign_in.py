"""Signing in to the dashboard at the identity provider, and out of it there too.

GET  /dashboard/sign-in      the browser goes to the identity provider (PKCE, state, nonce)
GET  /dashboard/callback     it comes back: the session begins, or a page says why not
POST /dashboard/sign-out     with the session's CSRF token: ended here and at the provider
GET  /dashboard/signed-out   where the provider sends the browser after that
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qs, urlsplit

import structlog
from fastapi import Request  # noqa: TC002 - FastAPI reads the routes' annotations at runtime
from lindung_common.signin import (
    LANGUAGES,
    SIGN_IN_WINDOW,
    SignInFailed,
    SignInRefused,
    csrf_matches,
    pick_language,
)

from .access import back
from .answers import Refused
from .people import COOKIE, LANGUAGE_COOKIE, PENDING_COOKIE, YEAR
from .words import WORDS

if TYPE_CHECKING:
    from fastapi import Response

    from .access import Access
    from .people import Door
    from .render import Pages

__all__ = ["SignIn"]

log = structlog.get_logger(__name__)
_MOST_FIELDS: Final = 4
_WHY: Final = {"expired": 400, "failed": 400, "no_role": 403}  # words: `why_<key>`


class SignIn:
    """The sign-in routes of the dashboard, over the access rules and its pages."""

    def __init__(self, access: Access, pages: Pages) -> None:
        self._access = access
        self._pages = pages

    def _door(self) -> Door:
        if self._access.door is None:
            raise Refused(503, "service", "signing in is off: SLA_MONITOR_OIDC_ISSUER is unset")
        return self._access.door

    async def begin(self, request: Request) -> Response:
        """Send the browser to the identity provider; a page says so when it does not answer."""
        language = chosen(request)
        try:
            door = self._door()
            begun = await door.sessions.begin(
                return_to=back(request.query_params), language=language
            )
        except Refused as refused:
            return self._pages.error(refused, language)
        except SignInFailed as failed:
            log.warning("dashboard sign-in cannot begin", reason=str(failed))
            return self._pages.error(
                Refused(503, "service", "the identity provider does not answer"), language
            )
        response = self._pages.go(begun.url)
        door.keep(
            response, PENDING_COOKIE, begun.pending, max_age=int(SIGN_IN_WINDOW.total_seconds())
        )
        return response

    async def callback(self, request: Request) -> Response:
        """Back from the identity provider: a session begins, or a page says why not."""
        language = chosen(request)
        try:
            door = self._door()
        except Refused as refused:
            return self._pages.error(refused, language)
        params = request.query_params
        pending = request.cookies.get(PENDING_COOKIE)
        state, code = params.get("state"), params.get("code")
        why = "expired" if not pending else "failed"
        if pending and state and code and not params.get("error"):
            try:
                secret, to = await door.sessions.finish(
                    pending=pending, state=state, code=code, language=language
                )
            except SignInRefused as refused:
                why = refused.why
            else:
                response = self._pages.go(to)
                door.forget(response, PENDING_COOKIE)
                door.keep(response, COOKIE, secret, max_age=None)
                return response
        t = WORDS[language]
        response = self._pages.message(
            _WHY[why], language, t("sign_in"), t(f"why_{why}"), sign_in=True
        )
        door.forget(response, PENDING_COOKIE)
        return response

    async def sign_out(self, request: Request) -> Response:
        """End the session here and at the identity provider, which sends the browser back."""
        language = chosen(request)
        try:
            door = self._door()
        except Refused as refused:
            return self._pages.error(refused, language)
        secret = request.cookies.get(COOKIE)
        given = _form(await request.body()).get("csrf")
        if (
            not secret
            or not csrf_matches(secret, given)
            or await door.sessions.find(secret) is None
        ):
            return self._pages.error(
                Refused(403, "csrf", "this form is not from your session: sign in again"),
                language,
            )
        id_token = await door.sessions.end(secret)
        after = f"{door.url}/signed-out"
        there = (
            await door.sessions.idp.end_session_url(id_token_hint=id_token, post_logout=after)
            if id_token
            else None
        )
        response = self._pages.go(there or after)
        door.forget(response, COOKIE)
        return response

    async def signed_out(self, request: Request) -> Response:
        """Where the identity provider sends the browser after signing out."""
        language = chosen(request)
        t = WORDS[language]
        return self._pages.message(
            200, language, t("signed_out_title"), t("signed_out"), sign_in=True
        )

    async def choose_language(self, request: Request) -> Response:
        """Keep a person's language: in their session too when signed in (with its CSRF token).

        Before signing in only this browser's cookie keeps it; a signed-in person's form
        must carry the session's CSRF token, as every form of theirs does.
        """
        form = _form(await request.body())
        language, to = form.get("language", ""), back(form)
        secret = request.cookies.get(COOKIE)
        door = self._access.door
        session = await door.sessions.find(secret) if door and secret else None
        if session is not None and not csrf_matches(secret or "", form.get("csrf")):
            return self._pages.error(
                Refused(403, "csrf", "this form is not from your session: sign in again"),
                chosen(request, session.language),
            )
        response = self._pages.go(to)
        if language in LANGUAGES:
            if door is not None and session is not None and secret:
                await door.sessions.choose_language(secret, language)
            response.set_cookie(
                LANGUAGE_COOKIE,
                language,
                max_age=YEAR,
                path="/dashboard",
                secure=door.secure if door else True,
                httponly=True,
                samesite="lax",
            )
        return response


def chosen(request: Request, kept: str | None = None) -> str:
    """The page's language: the session's, else the cookie's, else the browser's."""
    return pick_language(
        chosen=kept,
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept=request.headers.get("accept-language"),
    )


def _form(body: bytes) -> dict[str, str]:
    """A small url-encoded form as single values; nothing usable is an empty form."""
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=_MOST_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in fields.items() if len(v) == 1}


def origin(url: str) -> str:
    """A URL's origin (scheme and host), for the pages' `form-action`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
