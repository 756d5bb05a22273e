"""Who reads the dashboard: operations people signed in, and machines with an operations key.

The page is for people: signed in through OpenID Connect (`people`), its session in a
cookie. The JSON API and the export are for machines too: an `operations` key of intake's
keys file as `Authorization: Bearer <key>`, or the session of a person who follows the
page's links to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .answers import Refused
from .people import COOKIE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import Request
    from lindung_common.keys import KeyHolder, KeyRing
    from lindung_common.signin import LiveSession

    from .people import Door

__all__ = ["Access", "back"]


class Access:
    """The check of every route: a person's live session, or an operations key."""

    def __init__(self, keys: KeyRing | None, door: Door | None, *, off_reason: str | None) -> None:
        self._keys = keys
        self.door = door
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

    async def authorise(self, request: Request) -> None:
        """A request's Bearer operations key, else its person's live session; else `Refused`."""
        key = _bearer(request)
        if key is None and await self.signed_in(request) is not None:
            return
        self.holder(key)

    async def signed_in(self, request: Request) -> LiveSession | None:
        """The live session of the request's cookie, if any (and now seen)."""
        if self.door is None:
            return None
        return await self.door.sessions.find(request.cookies.get(COOKIE))


def back(params: Mapping[str, str]) -> str:
    """Where to go after signing in: a page of the dashboard, never anywhere else."""
    back = params.get("next") or "/dashboard"
    if back == "/dashboard" or back.startswith(("/dashboard?", "/dashboard/")):
        return back if "\\" not in back and "//" not in back else "/dashboard"
    return "/dashboard"


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
