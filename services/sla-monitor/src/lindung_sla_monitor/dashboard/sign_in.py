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
from lindung_common.signin import SIGN_IN_WINDOW, SignInFailed, SignInRefused, csrf_matches

from .access import back
from .answers import Refused
from .people import COOKIE, PENDING_COOKIE

if TYPE_CHECKING:
    from fastapi import Response

    from .access import Access
    from .people import Door
    from .render import Pages

__all__ = ["SignIn"]

log = structlog.get_logger(__name__)
_MOST_FIELDS: Final = 4
_WHY: Final = {
    "expired": (400, "This sign-in took too long or was already used. Sign in again."),
    "failed": (400, "The identity provider's answer could not be used. Sign in again."),
    "no_role": (403, "Only operations people read this dashboard. Signed in as someone else?"),
}


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
        try:
            door = self._door()
            begun = await door.sessions.begin(return_to=back(request.query_params), language="en")
        except Refused as refused:
            return self._pages.error(refused)
        except SignInFailed as failed:
            log.warning("dashboard sign-in cannot begin", reason=str(failed))
            return self._pages.error(
                Refused(503, "service", "the identity provider does not answer")
            )
        response = self._pages.go(begun.url)
        door.keep(
            response, PENDING_COOKIE, begun.pending, max_age=int(SIGN_IN_WINDOW.total_seconds())
        )
        return response

    async def callback(self, request: Request) -> Response:
        """Back from the identity provider: a session begins, or a page says why not."""
        try:
            door = self._door()
        except Refused as refused:
            return self._pages.error(refused)
        params = request.query_params
        pending = request.cookies.get(PENDING_COOKIE)
        state, code = params.get("state"), params.get("code")
        why = "expired" if not pending else "failed"
        if pending and state and code and not params.get("error"):
            try:
                secret, to = await door.sessions.finish(
                    pending=pending, state=state, code=code, language="en"
                )
            except SignInRefused as refused:
                why = refused.why
            else:
                response = self._pages.go(to)
                door.forget(response, PENDING_COOKIE)
                door.keep(response, COOKIE, secret, max_age=None)
                return response
        status, text = _WHY[why]
        response = self._pages.message(status, "Sign in", text, sign_in=True)
        door.forget(response, PENDING_COOKIE)
        return response

    async def sign_out(self, request: Request) -> Response:
        """End the session here and at the identity provider, which sends the browser back."""
        try:
            door = self._door()
        except Refused as refused:
            return self._pages.error(refused)
        secret = request.cookies.get(COOKIE)
        given = _form(await request.body()).get("csrf")
        if (
            not secret
            or not csrf_matches(secret, given)
            or await door.sessions.find(secret) is None
        ):
            return self._pages.error(
                Refused(403, "csrf", "this form is not from your session: sign in again")
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

    async def signed_out(self) -> Response:
        """Where the identity provider sends the browser after signing out."""
        return self._pages.message(200, "Signed out", "You are signed out.", sign_in=True)


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
