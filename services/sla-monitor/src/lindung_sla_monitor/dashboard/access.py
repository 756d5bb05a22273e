"""Who reads the dashboard: an `operations` key of intake's keys file, and nobody else.

The API and the export take the key as `Authorization: Bearer <key>`; the page keeps it,
once signed in, in an HttpOnly, SameSite=Strict cookie for 12 hours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .answers import Refused

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import Request, Response
    from lindung_common.keys import KeyHolder, KeyRing

__all__ = ["COOKIE", "Access", "back"]

COOKIE = "lindung_operations"
_PATH = "/dashboard"
_KEPT_SECONDS = 12 * 3600


class Access:
    """The key check of every route, and the cookie that keeps a sign-in."""

    def __init__(
        self, keys: KeyRing | None, *, secure_cookie: bool, off_reason: str | None
    ) -> None:
        self._keys = keys
        self._secure = secure_cookie
        self._off = off_reason

    def holder(self, key: str | None) -> KeyHolder:
        """The holder of an operations key; `Refused` (401, 403, or 503 when off) otherwise."""
        if self._off is not None:
            raise Refused(503, "service", self._off)
        if not key:
            raise Refused(401, "authorization", "an operations key is required (Bearer)")
        holder = None if self._keys is None else self._keys.find(key)
        if holder is None:
            raise Refused(401, "authorization", "unknown or revoked key")
        if holder.kind != "operations":
            raise Refused(403, "authorization", "only an operations key reads the dashboard")
        return holder

    def authorise(self, request: Request) -> KeyHolder:
        """The operations key holder of a request (Bearer, else the cookie)."""
        return self.holder(_bearer(request) or request.cookies.get(COOKIE))

    def signed_in(self, request: Request) -> KeyHolder | None:
        """The holder a request is signed in as, or None."""
        try:
            return self.authorise(request)
        except Refused:
            return None

    def keep(self, response: Response, key: str) -> None:
        """Keep a key that signed in, for the dashboard's paths only."""
        response.set_cookie(
            COOKIE,
            key,
            httponly=True,
            samesite="strict",
            secure=self._secure,
            path=_PATH,
            max_age=_KEPT_SECONDS,
        )

    @staticmethod
    def forget(response: Response) -> None:
        """Forget the key kept in the cookie."""
        response.delete_cookie(COOKIE, path=_PATH)


def back(params: Mapping[str, Any]) -> str:
    """Where to go after signing in: a page of the dashboard, never anywhere else."""
    value = params.get("next") or "/dashboard"
    back = str(value[0] if isinstance(value, list) else value)
    if back == "/dashboard" or back.startswith(("/dashboard?", "/dashboard/")):
        return back if "\\" not in back and "//" not in back else "/dashboard"
    return "/dashboard"


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
